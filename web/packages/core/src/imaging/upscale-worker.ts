/**
 * The upscaler's worker side: decodes the picture, runs the model tile by
 * tile (one ONNX session per model file, kept), stitches, encodes the PNG.
 * Call {@link serveUpscaler} from the app's worker module.
 */

import type * as Ort from 'onnxruntime-web/webgpu';
import { loadOrt, type RuntimeOptions } from '../engine/runtime/runtime.js';
import { type RpcScope, serveRpc } from '../rpc/index.js';
import { createSessionCache } from './session-cache.js';
import { planTiles, rgbPlanes, writeTile } from './tiles.js';
import {
  ImageTooLargeError,
  MAX_OUTPUT_SIDE,
  UPSCALE_ERRORS,
  type UpscaleApi,
  type UpscaleProgress,
  type UpscaleRequest,
  type UpscaleResult,
} from './upscale-api.js';

/** Options of {@link serveUpscaler}. */
export interface ServeUpscalerOptions {
  /** How ORT finds its WebAssembly (self-hosted, e.g. Vite `?url`). */
  readonly runtime?: RuntimeOptions;
}

/** Serves {@link UpscaleApi} on a worker's global scope. */
export function serveUpscaler(scope: RpcScope, options: ServeUpscalerOptions = {}): void {
  const session = createSessionCache(options.runtime);
  serveRpc<UpscaleApi>(
    scope,
    { upscale: async (req, { signal, progress }) => upscale(req, await session(req), signal, progress) },
    { errors: UPSCALE_ERRORS, serial: true },
  );
}

async function decode(image: Blob): Promise<{ rgba: Uint8ClampedArray; width: number; height: number }> {
  const bitmap = await createImageBitmap(image, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('no 2D context in the upscaler worker');
    ctx.drawImage(bitmap, 0, 0);
    return { rgba: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data, width: bitmap.width, height: bitmap.height };
  } finally {
    bitmap.close();
  }
}

async function upscale(
  req: UpscaleRequest,
  session: Ort.InferenceSession,
  signal: AbortSignal,
  progress: (p: UpscaleProgress) => void,
): Promise<UpscaleResult> {
  const ort = await loadOrt();
  const { rgba, width, height } = await decode(req.image);
  const s = req.scale;
  if (Math.max(width, height) * s > MAX_OUTPUT_SIDE) throw new ImageTooLargeError(width, height, MAX_OUTPUT_SIDE);
  const out = new Uint8ClampedArray(width * s * height * s * 4);
  const tiles = planTiles(width, height, req.tileSize, req.tilePadding);
  let inferenceMs = 0;
  for (const [i, tile] of tiles.entries()) {
    signal.throwIfAborted();
    const input = new ort.Tensor('float32', rgbPlanes(rgba, width, tile.read, req.valueRange), [1, 3, tile.read.height, tile.read.width]);
    const started = performance.now();
    const result = await session.run({ [session.inputNames[0] as string]: input });
    const output = result[session.outputNames[0] as string] as Ort.Tensor;
    const planes = (await output.getData()) as Float32Array;
    inferenceMs += performance.now() - started;
    input.dispose();
    output.dispose();
    writeTile(out, rgba, width, tile, planes, s, req.valueRange);
    progress({ tilesDone: i + 1, tilesTotal: tiles.length });
  }
  signal.throwIfAborted();
  const canvas = new OffscreenCanvas(width * s, height * s);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D context in the upscaler worker');
  ctx.putImageData(new ImageData(out, width * s, height * s), 0, 0);
  const png = await canvas.convertToBlob({ type: 'image/png' });
  return { png, width: width * s, height: height * s, inferenceMs };
}
