import { describe, expect, it } from 'vitest';
import { planTiles, rgbPlanes, writeTile } from './tiles.js';

describe('planTiles', () => {
  it('covers the image once with cores and pads reads only where there is a neighbour', () => {
    const tiles = planTiles(10, 7, 4, 2);
    const hits = new Uint8Array(70);
    for (const t of tiles)
      for (let y = 0; y < t.core.height; y++)
        for (let x = 0; x < t.core.width; x++) hits[(t.core.y + y) * 10 + t.core.x + x] = (hits[(t.core.y + y) * 10 + t.core.x + x] ?? 0) + 1;
    expect([...hits].every((h) => h === 1)).toBe(true);
    expect(tiles).toHaveLength(6);
    expect(tiles[0]).toEqual({ core: { x: 0, y: 0, width: 4, height: 4 }, read: { x: 0, y: 0, width: 6, height: 6 } });
    expect(tiles[4]).toEqual({ core: { x: 4, y: 4, width: 4, height: 3 }, read: { x: 2, y: 2, width: 8, height: 5 } });
  });

  it('refuses an empty image or tile', () => {
    expect(() => planTiles(0, 5, 4, 1)).toThrow(RangeError);
    expect(() => planTiles(5, 5, 0, 1)).toThrow(RangeError);
  });
});

describe('rgbPlanes and writeTile', () => {
  it('round-trip a nearest 2x "model" tile by tile into the whole image, keeping alpha', () => {
    const w = 5;
    const h = 3;
    const src = new Uint8ClampedArray(w * h * 4).map((_, i) => (i * 37) % 256);
    const out = new Uint8ClampedArray(w * h * 16);
    for (const tile of planTiles(w, h, 2, 1)) {
      const planes = rgbPlanes(src, w, tile.read, 1);
      const rw = tile.read.width;
      const rh = tile.read.height;
      const up = new Float32Array(3 * rw * rh * 4);
      for (let c = 0; c < 3; c++)
        for (let y = 0; y < rh * 2; y++)
          for (let x = 0; x < rw * 2; x++) up[c * rw * rh * 4 + y * rw * 2 + x] = planes[c * rw * rh + (y >> 1) * rw + (x >> 1)] ?? 0;
      writeTile(out, src, w, tile, up, 2, 1);
    }
    for (let y = 0; y < h * 2; y++)
      for (let x = 0; x < w * 2; x++) for (let c = 0; c < 4; c++) expect(out[(y * w * 2 + x) * 4 + c]).toBe(src[((y >> 1) * w + (x >> 1)) * 4 + c]);
  });
});
