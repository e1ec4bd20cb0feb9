// On-device imaging hooks for browser tests, as `window.hgImaging`: an
// upscaler over the real model store and its worker, and pixel readers.

import { createSegmenter, createUpscaler, parseManifest, type UpscaleBackend, type UpscaleStep } from '@hybridgen/core';
import { newStore } from './workers.js';

/** Decodes a picture into RGBA pixels. */
async function pixels(blob: Blob): Promise<{ width: number; height: number; rgba: number[] }> {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
  ctx.drawImage(bitmap, 0, 0);
  return { width: bitmap.width, height: bitmap.height, rgba: Array.from(ctx.getImageData(0, 0, bitmap.width, bitmap.height).data) };
}

function bytesToBlob(bytes: number[], type = 'image/png'): Blob {
  return new Blob([Uint8Array.from(bytes)], { type });
}

/**
 * The picture's top-left `crop` x `crop` pixels (whole when 0), its alpha replaced by a left-to-right
 * ramp (0 at the left edge, 255 at the right) when `alphaRamp`.
 */
async function prepare(png: number[], crop: number, alphaRamp: boolean): Promise<Blob> {
  const whole = await pixels(bytesToBlob(png));
  const width = crop || whole.width;
  const height = crop || whole.height;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) data.set(whole.rgba.slice(y * whole.width * 4, (y * whole.width + width) * 4), y * width * 4);
  if (alphaRamp) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[(y * width + x) * 4 + 3] = Math.round((x * 255) / (width - 1));
  const canvas = new OffscreenCanvas(width, height);
  (canvas.getContext('2d') as OffscreenCanvasRenderingContext2D).putImageData(new ImageData(data, width, height), 0, 0);
  return canvas.convertToBlob({ type: 'image/png' });
}

interface UpscaleRun {
  readonly width: number;
  readonly height: number;
  readonly png: number[];
  readonly steps: UpscaleStep['phase'][];
  readonly tiles: number;
  readonly ms: number;
}

/** Upscales `png` with the mirror's upscaler model; `abortAfterTiles` aborts once that many tiles are done. */
async function upscale(
  manifestJson: unknown,
  png: number[],
  options: { scale: number; backend: UpscaleBackend; tileSize?: number; crop?: number; alphaRamp?: boolean; abortAfterTiles?: number },
): Promise<UpscaleRun | { aborted: true; sameReason: boolean; tiles: number }> {
  const manifest = parseManifest(manifestJson);
  const store = newStore({ mirrorRoot: '/models/' });
  const upscaler = createUpscaler({
    createWorker: () => new Worker(new URL('./upscale.worker.ts', import.meta.url), { type: 'module' }),
    store,
    manifest,
    backend: options.backend,
    ...(options.tileSize ? { tileSize: options.tileSize } : {}),
  });
  const controller = new AbortController();
  const reason = new DOMException('the test cancelled', 'AbortError');
  const steps: UpscaleStep['phase'][] = [];
  let tiles = 0;
  const started = performance.now();
  try {
    const image = await prepare(png, options.crop ?? 0, options.alphaRamp ?? false);
    const result = await upscaler.upscale(image, {
      scale: options.scale,
      signal: controller.signal,
      onProgress: (step) => {
        if (steps.at(-1) !== step.phase) steps.push(step.phase);
        if (step.phase !== 'upscale') return;
        tiles = step.tilesTotal;
        if (options.abortAfterTiles !== undefined && step.tilesDone >= options.abortAfterTiles) controller.abort(reason);
      },
    });
    const out = new Uint8Array(await result.png.arrayBuffer());
    return { width: result.width, height: result.height, png: Array.from(out), steps, tiles, ms: performance.now() - started };
  } catch (error) {
    if (controller.signal.aborted) return { aborted: true, sameReason: error === reason, tiles };
    throw error;
  } finally {
    upscaler.dispose();
  }
}

/**
 * Compares an upscaled PNG with a reference over the top-left `region` x `region` pixels: RGB mean and
 * max absolute difference (0-255) over pixels whose alpha is at least `minAlpha`, and alpha against the
 * source's alpha ramp upscaled by nearest (`scale`), or 255 when no ramp, over the whole output.
 */
async function compare(png: number[], reference: number[], options: { scale: number; region: number; alphaRamp: boolean; minAlpha: number }) {
  const a = await pixels(bytesToBlob(png));
  const b = await pixels(bytesToBlob(reference));
  let sum = 0;
  let maxAbs = 0;
  let alphaMaxDiff = 0;
  let compared = 0;
  const sourceWidth = a.width / options.scale;
  for (let i = 0; i < a.width * a.height; i++) {
    const x = i % a.width;
    const y = Math.floor(i / a.width);
    const inRegion = x < options.region && y < options.region;
    for (let c = 0; c < 3 && inRegion && (a.rgba[i * 4 + 3] ?? 0) >= options.minAlpha; c++, compared++) {
      const d = Math.abs((a.rgba[i * 4 + c] ?? 0) - (b.rgba[(y * b.width + x) * 4 + c] ?? 0));
      sum += d;
      maxAbs = Math.max(maxAbs, d);
    }
    const sx = Math.floor((i % a.width) / options.scale);
    const want = options.alphaRamp ? Math.round((sx * 255) / (sourceWidth - 1)) : 255;
    alphaMaxDiff = Math.max(alphaMaxDiff, Math.abs((a.rgba[i * 4 + 3] ?? 0) - want));
  }
  // PNG colour type 6 (RGBA) in the IHDR chunk: byte 25 of the file.
  return { width: a.width, height: a.height, meanAbs: sum / Math.max(1, compared), maxAbs, alphaMaxDiff, hasAlphaChannel: png[25] === 6 };
}

/** Removes the background of `png` with the mirror's segmenter model; `abort` cancels once the model is downloaded. */
async function removeBackground(
  manifestJson: unknown,
  png: number[],
  options: { backend: UpscaleBackend; abort?: boolean },
): Promise<{ width: number; height: number; png: number[]; inferenceMs: number; steps: string[] } | { aborted: true; sameReason: boolean }> {
  const segmenter = createSegmenter({
    createWorker: () => new Worker(new URL('./segment.worker.ts', import.meta.url), { type: 'module' }),
    store: newStore({ mirrorRoot: '/models/' }),
    manifest: parseManifest(manifestJson),
    backend: options.backend,
  });
  const controller = new AbortController();
  const reason = new DOMException('the test cancelled', 'AbortError');
  const steps: string[] = [];
  try {
    const result = await segmenter.removeBackground(bytesToBlob(png), {
      signal: controller.signal,
      onProgress: (step) => {
        if (steps.at(-1) !== step.phase) steps.push(step.phase);
        if (step.phase === 'segment' && options.abort) controller.abort(reason);
      },
    });
    const out = Array.from(new Uint8Array(await result.png.arrayBuffer()));
    return { width: result.width, height: result.height, png: out, inferenceMs: result.inferenceMs, steps };
  } catch (error) {
    if (controller.signal.aborted) return { aborted: true, sameReason: error === reason };
    throw error;
  } finally {
    segmenter.dispose();
  }
}

/**
 * Compares a background-removed PNG with its source and a golden alpha map (grey PNG): alpha mean and
 * max absolute difference (0-255), RGB max difference where alpha is 255, and mean alpha in two boxes
 * ([x0, y0, x1, y1]) of the picture, e.g. the person and the background.
 */
async function compareAlpha(png: number[], source: number[], golden: number[], boxes: { person: number[]; background: number[] }) {
  const a = await pixels(bytesToBlob(png));
  const src = await pixels(bytesToBlob(source));
  const g = await pixels(bytesToBlob(golden));
  let sum = 0;
  let maxAbs = 0;
  let rgbMaxDiff = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    const alpha = a.rgba[i * 4 + 3] ?? 0;
    const d = Math.abs(alpha - (g.rgba[i * 4] ?? 0));
    sum += d;
    maxAbs = Math.max(maxAbs, d);
    if (alpha === 255) for (let c = 0; c < 3; c++) rgbMaxDiff = Math.max(rgbMaxDiff, Math.abs((a.rgba[i * 4 + c] ?? 0) - (src.rgba[i * 4 + c] ?? 0)));
  }
  const boxMean = ([x0 = 0, y0 = 0, x1 = 0, y1 = 0]: number[]) => {
    let total = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) total += a.rgba[(y * a.width + x) * 4 + 3] ?? 0;
    return total / ((x1 - x0) * (y1 - y0));
  };
  return {
    meanAbs: sum / (a.width * a.height),
    maxAbs,
    rgbMaxDiff,
    personAlpha: boxMean(boxes.person),
    backgroundAlpha: boxMean(boxes.background),
    hasAlphaChannel: png[25] === 6,
  };
}

const hgImaging = { upscale, compare, removeBackground, compareAlpha };
declare global {
  interface Window {
    hgImaging: typeof hgImaging;
  }
}
window.hgImaging = hgImaging;
