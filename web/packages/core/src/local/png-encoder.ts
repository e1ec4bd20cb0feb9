import { imageToPngBlob } from '../engine/image.js';

/** A message to the PNG worker: pixels to encode, tagged with a request id. */
export interface PngRequest {
  readonly id: number;
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
}

/** The PNG worker's answer to one {@link PngRequest}. */
export type PngResponse = { readonly id: number; readonly png: Blob } | { readonly id: number; readonly error: string };

/** Encodes RGBA pixels as a PNG Blob. */
export type PngEncoder = (image: { readonly width: number; readonly height: number; readonly rgba: Uint8ClampedArray }) => Promise<Blob>;

/**
 * A PNG encoder that works in a dedicated worker, so the page's main thread
 * never spends the encoding time. The pixels are transferred (the caller's
 * array is detached). Falls back to encoding in place where workers are missing.
 */
export function createPngEncoder(options: { readonly timeoutMs?: number } = {}): PngEncoder {
  if (typeof Worker === 'undefined') return imageToPngBlob;
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve(png: Blob): void; reject(error: Error): void }>();
  const start = (): Worker => {
    const w = new Worker(new URL('./png.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-png' });
    w.onmessage = (event: MessageEvent<PngResponse>) => {
      const call = pending.get(event.data.id);
      pending.delete(event.data.id);
      if (!call) return;
      if ('png' in event.data) call.resolve(event.data.png);
      else call.reject(new Error(`PNG encoding failed: ${event.data.error}`));
    };
    w.onerror = (event) => {
      for (const call of pending.values()) call.reject(new Error(`the PNG worker died: ${event.message}`));
      pending.clear();
      worker = null;
    };
    return w;
  };
  return (image) =>
    new Promise<Blob>((resolve, reject) => {
      worker ??= start();
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`PNG encoding did not finish within ${options.timeoutMs ?? 30_000} ms`));
      }, options.timeoutMs ?? 30_000);
      pending.set(id, {
        resolve: (png) => {
          clearTimeout(timer);
          resolve(png);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      worker.postMessage({ id, width: image.width, height: image.height, rgba: image.rgba } satisfies PngRequest, [image.rgba.buffer]);
    });
}
