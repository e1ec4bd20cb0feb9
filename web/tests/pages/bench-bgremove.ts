// bench-local.html's background removal (bgremove=N): the canvas app's path (apps/canvas/src/imaging.ts:
// the built-in selfie-segmentation manifest, its file from the server's mirror into the model store,
// createSegmenter over the segmenter worker) on a 1024 px picture, N times in a row. The first run
// includes the model's download (first visit) and the worker's session creation; the later ones are
// warm. Each run is timed from the call to the PNG in hand.

import { type CapabilityReport, createSegmenter, getManifest, type UpscaleBackend } from '@hybridgen/core';
import astronautUrl from '../fixtures/astronaut-256.png?url';
import { newStore } from './workers.js';

/** The picture's side: scikit-image's astronaut (a person, so the mask is not trivial), scaled up. */
const SIDE = 1024;

/** One background removal: wall time, the model's time, the download's share and the PNG's size. */
export interface BgRemoveRun {
  readonly totalMs: number;
  readonly inferenceMs: number;
  /** From the call to the segment phase: the store's download (or its check) and the hand-over. */
  readonly downloadMs: number;
  readonly pngBytes: number;
}

/** What bench-local.html reports under `bgremove`. */
export interface BgRemoveReport {
  readonly backend: UpscaleBackend;
  readonly side: number;
  readonly inputBytes: number;
  readonly runs: BgRemoveRun[];
  readonly firstMs: number;
  /** Median of the runs after the first (null with one run). */
  readonly warmMedianMs: number | null;
}

/**
 * The backend the canvas app takes (WebGPU on a real adapter, else WASM); `wasm` forces WASM, and
 * `allowFallbackAdapter` lets a software adapter run on WebGPU, as the page's drafts do.
 */
export function bgRemoveBackend(caps: CapabilityReport, backendParam: string, allowFallbackAdapter: boolean): UpscaleBackend {
  if (backendParam === 'wasm' || !caps.webgpu.available) return 'wasm';
  return caps.webgpu.adapter.isFallbackAdapter && !allowFallbackAdapter ? 'wasm' : 'webgpu';
}

async function picture(): Promise<Blob> {
  const bitmap = await createImageBitmap(await (await fetch(astronautUrl)).blob());
  const canvas = new OffscreenCanvas(SIDE, SIDE);
  const ctx = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, SIDE, SIDE);
  bitmap.close();
  return canvas.convertToBlob({ type: 'image/png' });
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Removes the background of a 1024 px picture `runs` times through the app's path on `backend`. */
export async function benchBackgroundRemoval(runs: number, backend: UpscaleBackend): Promise<BgRemoveReport> {
  const segmenter = createSegmenter({
    createWorker: () => new Worker(new URL('./segment.worker.ts', import.meta.url), { type: 'module' }),
    store: newStore({ mirrorRoot: '/models/' }),
    manifest: getManifest('selfie-segmentation'),
    backend,
  });
  try {
    const image = await picture();
    const out: BgRemoveRun[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      let downloadMs = 0;
      const result = await segmenter.removeBackground(image, {
        onProgress: (step) => {
          if (step.phase === 'segment') downloadMs = performance.now() - started;
        },
      });
      if (result.width !== SIDE || result.height !== SIDE) throw new Error(`background removal gave ${result.width}x${result.height}`);
      const totalMs = Math.round(performance.now() - started);
      out.push({ totalMs, inferenceMs: Math.round(result.inferenceMs), downloadMs: Math.round(downloadMs), pngBytes: result.png.size });
    }
    const ms = out.map((r) => r.totalMs);
    return { backend, side: SIDE, inputBytes: image.size, runs: out, firstMs: ms[0] ?? 0, warmMedianMs: median(ms.slice(1)) };
  } finally {
    segmenter.dispose();
  }
}
