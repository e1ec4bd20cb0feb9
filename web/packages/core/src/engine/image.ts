/** Turning the VAE's output into pixels, and pixels into a PNG. */

/**
 * Maps a VAE `sample` [1, 3, H, W] (values about -1..1) to RGBA bytes:
 * `round(clamp(x / 2 + 0.5, 0, 1) * 255)`, alpha 255.
 */
export function vaeOutputToRgba(sample: Float32Array, width: number, height: number): Uint8ClampedArray {
  const plane = width * height;
  if (sample.length < 3 * plane) throw new RangeError(`VAE output has ${sample.length} values, expected ${3 * plane}`);
  const rgba = new Uint8ClampedArray(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) {
      const v = (sample[c * plane + i] ?? 0) / 2 + 0.5;
      rgba[i * 4 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    rgba[i * 4 + 3] = 255;
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
