/**
 * Tiling for image-to-image models with a bounded receptive field: each tile
 * is read with `padding` extra pixels of context on every side that has a
 * neighbour, and only its core is written back, so the stitched result has
 * the same pixels as one run over the whole image while memory stays bounded
 * by the tile size.
 */

/** A rectangle in pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** One tile: the region the model reads (`read`) and the part of it written back (`core`). */
export interface Tile {
  /** What the model reads: the core plus the context around it, clipped to the image. */
  readonly read: Rect;
  /** What the tile contributes, in input pixels; the cores cover the image exactly once. */
  readonly core: Rect;
}

/**
 * Splits a `width` x `height` image into tiles whose cores are at most
 * `tileSize` square, each read with `padding` pixels of context.
 */
export function planTiles(width: number, height: number, tileSize: number, padding: number): Tile[] {
  if (!(width > 0 && height > 0 && tileSize > 0 && padding >= 0)) throw new RangeError(`cannot tile ${width}x${height} by ${tileSize} (padding ${padding})`);
  const tiles: Tile[] = [];
  for (let y = 0; y < height; y += tileSize) {
    for (let x = 0; x < width; x += tileSize) {
      const core = { x, y, width: Math.min(tileSize, width - x), height: Math.min(tileSize, height - y) };
      const x0 = Math.max(0, x - padding);
      const y0 = Math.max(0, y - padding);
      const x1 = Math.min(width, core.x + core.width + padding);
      const y1 = Math.min(height, core.y + core.height + padding);
      tiles.push({ core, read: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } });
    }
  }
  return tiles;
}

/** Planar RGB (NCHW, one batch) of `rect` in an RGBA image, each value times `range / 255`. */
export function rgbPlanes(rgba: Uint8ClampedArray, imageWidth: number, rect: Rect, range: number): Float32Array {
  const plane = rect.width * rect.height;
  const out = new Float32Array(3 * plane);
  const k = range / 255;
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const src = ((rect.y + y) * imageWidth + rect.x + x) * 4;
      const dst = y * rect.width + x;
      out[dst] = (rgba[src] ?? 0) * k;
      out[plane + dst] = (rgba[src + 1] ?? 0) * k;
      out[2 * plane + dst] = (rgba[src + 2] ?? 0) * k;
    }
  }
  return out;
}

/**
 * Writes a tile's upscaled planar RGB (`planes`: the model's output for
 * `tile.read`, `scale` times larger) into the output RGBA image, core only,
 * values divided by `range / 255`, rounded and clamped. Alpha comes from the
 * source pixel each output pixel lies in (nearest).
 */
export function writeTile(
  out: Uint8ClampedArray,
  source: Uint8ClampedArray,
  imageWidth: number,
  tile: Tile,
  planes: Float32Array,
  scale: number,
  range: number,
): void {
  const readW = tile.read.width * scale;
  const plane = readW * tile.read.height * scale;
  const outW = imageWidth * scale;
  const k = 255 / range;
  const offX = (tile.core.x - tile.read.x) * scale;
  const offY = (tile.core.y - tile.read.y) * scale;
  for (let y = 0; y < tile.core.height * scale; y++) {
    const oy = tile.core.y * scale + y;
    const srcRow = Math.floor(oy / scale) * imageWidth;
    for (let x = 0; x < tile.core.width * scale; x++) {
      const ox = tile.core.x * scale + x;
      const p = (offY + y) * readW + offX + x;
      const dst = (oy * outW + ox) * 4;
      out[dst] = (planes[p] ?? 0) * k;
      out[dst + 1] = (planes[plane + p] ?? 0) * k;
      out[dst + 2] = (planes[2 * plane + p] ?? 0) * k;
      out[dst + 3] = source[(srcRow + Math.floor(ox / scale)) * 4 + 3] ?? 255;
    }
  }
}
