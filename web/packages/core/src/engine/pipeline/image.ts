/** Turning the VAE's output into pixels, and pixels into a PNG. */

/** The value range of a decoder's output: the VAE's [-1, 1] (`signed`) or the tiny decoder's [0, 1] (`unit`). */
export type DecoderRange = 'signed' | 'unit';

/**
 * Maps a VAE `sample` [1, 3, H, W] (values about -1..1) to RGBA bytes:
 * `clamp(x / 2 + 0.5, 0, 1) * 255` (or `clamp(x, 0, 1) * 255` for a `unit` range), rounded to nearest (the `Uint8ClampedArray`
 * store clamps and rounds), alpha 255. One pass over the pixels, reading the
 * three planes in order: about 3 ms for 512 x 512 (3-4x faster than a
 * per-value `Math.round(Math.min(...))`, which was most of the engine's own
 * time per draft).
 */
export function vaeOutputToRgba(sample: Float32Array, width: number, height: number, range: DecoderRange = 'signed'): Uint8ClampedArray {
  const plane = width * height;
  // [-1, 1] -> x * 127.5 + 127.5; [0, 1] (the tiny decoder) -> x * 255.
  const scale = range === 'signed' ? 127.5 : 255;
  const offset = range === 'signed' ? 127.5 : 0;
  if (sample.length < 3 * plane) throw new RangeError(`VAE output has ${sample.length} values, expected ${3 * plane}`);
  const rgba = new Uint8ClampedArray(plane * 4);
  const green = plane;
  const blue = 2 * plane;
  for (let i = 0, j = 0; i < plane; i++, j += 4) {
    rgba[j] = (sample[i] as number) * scale + offset;
    rgba[j + 1] = (sample[green + i] as number) * scale + offset;
    rgba[j + 2] = (sample[blue + i] as number) * scale + offset;
    rgba[j + 3] = 255;
  }
  return rgba;
}

/** Encodes RGBA pixels as a PNG `Blob` through an `OffscreenCanvas` (window or worker). */
export async function imageToPngBlob(image: { readonly width: number; readonly height: number; readonly rgba: Uint8ClampedArray }): Promise<Blob> {
  const canvas = new OffscreenCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('OffscreenCanvas 2d context is unavailable');
  const pixels = new Uint8ClampedArray(image.rgba.length);
  pixels.set(image.rgba);
  ctx.putImageData(new ImageData(pixels, image.width, image.height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}
