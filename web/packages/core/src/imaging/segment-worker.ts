/**
 * The background remover's worker side: decodes the picture, resizes it to
 * the model's input, runs the segmenter once, scales the mask back to the
 * picture's size (bilinear) and multiplies it into the alpha channel.
 * Call {@link serveSegmenter} from the app's worker module.
 */

import type * as Ort from 'onnxruntime-web/webgpu';
import { loadOrt } from '../engine/runtime/runtime.js';
import { type RpcScope, serveRpc } from '../rpc/index.js';
import { MAX_SEGMENT_SIDE, SEGMENT_ERRORS, type SegmentApi, type SegmentRequest, type SegmentResult } from './segment-api.js';
import { createSessionCache } from './session-cache.js';
import { ImageTooLargeError } from './upscale-api.js';
import type { ServeUpscalerOptions } from './upscale-worker.js';

/** Options of {@link serveSegmenter} (as the upscaler's: where ORT finds its WebAssembly). */
export type ServeSegmenterOptions = ServeUpscalerOptions;

/** Serves {@link SegmentApi} on a worker's global scope. */
export function serveSegmenter(scope: RpcScope, options: ServeSegmenterOptions = {}): void {
  const session = createSessionCache(options.runtime);
  serveRpc<SegmentApi>(
    scope,
    { removeBackground: async (req, { signal }) => removeBackground(req, await session(req), signal) },
    { errors: SEGMENT_ERRORS, serial: true },
  );
}

function context2d(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2D context in the background remover worker');
  return ctx;
}

/** The model's input: the picture resized to size x size (bilinear), RGB planes scaled to valueRange. */
function modelInput(bitmap: ImageBitmap, size: number, valueRange: number): Float32Array {
  const canvas = new OffscreenCanvas(size, size);
  const ctx = context2d(canvas);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, size, size);
  const rgba = ctx.getImageData(0, 0, size, size).data;
  const planes = new Float32Array(3 * size * size);
  for (let i = 0; i < size * size; i++) for (let c = 0; c < 3; c++) planes[c * size * size + i] = ((rgba[i * 4 + c] ?? 0) / 255) * valueRange;
  return planes;
}

/** The mask (0..1, size x size) as an alpha map at width x height, bilinear. */
function scaleMask(mask: Float32Array, size: number, width: number, height: number): Uint8ClampedArray {
  const small = new Uint8ClampedArray(size * size * 4);
  for (let i = 0; i < size * size; i++) small[i * 4 + 3] = Math.round((mask[i] ?? 0) * 255);
  const from = new OffscreenCanvas(size, size);
  context2d(from).putImageData(new ImageData(small, size, size), 0, 0);
  const to = new OffscreenCanvas(width, height);
  const ctx = context2d(to);
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(from, 0, 0, width, height);
  return ctx.getImageData(0, 0, width, height).data;
}

async function removeBackground(req: SegmentRequest, session: Ort.InferenceSession, signal: AbortSignal): Promise<SegmentResult> {
  const ort = await loadOrt();
  const bitmap = await createImageBitmap(req.image, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const { width, height } = bitmap;
    if (Math.max(width, height) > MAX_SEGMENT_SIDE) throw new ImageTooLargeError(width, height, MAX_SEGMENT_SIDE);
    const size = req.inputSize;
    const input = new ort.Tensor('float32', modelInput(bitmap, size, req.valueRange), [1, 3, size, size]);
    signal.throwIfAborted();
    const started = performance.now();
    const result = await session.run({ [session.inputNames[0] as string]: input });
    const output = result[session.outputNames[0] as string] as Ort.Tensor;
    const mask = (await output.getData()) as Float32Array;
    const inferenceMs = performance.now() - started;
    input.dispose();
    output.dispose();
    signal.throwIfAborted();
    const alpha = scaleMask(mask, size, width, height);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = context2d(canvas);
    ctx.drawImage(bitmap, 0, 0);
    const image = ctx.getImageData(0, 0, width, height);
    const px = image.data;
    for (let i = 3; i < px.length; i += 4) px[i] = Math.round(((px[i] ?? 0) * (alpha[i] ?? 0)) / 255);
    ctx.putImageData(image, 0, 0);
    const png = await canvas.convertToBlob({ type: 'image/png' });
    return { png, width, height, inferenceMs };
  } finally {
    bitmap.close();
  }
}
