/**
 * The init image of an image-to-image run as the engine takes it: an encoded
 * image (PNG, JPEG, WebP...) decoded and resized to the session's square size
 * by the browser (`createImageBitmap` decodes off the main thread), RGBA read
 * back from a small OffscreenCanvas.
 */

import type { InitImage } from '../engine/types.js';

/** Decodes `blob` into `size` x `size` RGBA (stretched; the caller shows the result at the source's aspect ratio). */
export async function decodeInitImage(blob: Blob, size: number, strength: number): Promise<InitImage> {
  const bitmap = await createImageBitmap(blob, { resizeWidth: size, resizeHeight: size, resizeQuality: 'medium' });
  try {
    const canvas = new OffscreenCanvas(size, size);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D context to read the init image');
    // Transparent areas (a sketch's background) read as white, as on the canvas.
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(bitmap, 0, 0);
    return { rgba: ctx.getImageData(0, 0, size, size).data, width: size, height: size, strength };
  } finally {
    bitmap.close();
  }
}
