// bench-local.html's upscaling entry (upscale=N, issue 17): a deterministic 512 px picture upscaled
// 4x to 2048 px with the real ESRGAN-slim weights, the way the canvas app does it
// (apps/canvas/src/imaging.ts): the built-in `esrgan-slim` manifest, its files from the server's
// mirror into the model store (`hybridgen models pull esrgan-slim` puts them there), the upscaler's
// worker over the shared RPC module, 128 px tiles. WebGPU on a real adapter, else WebAssembly, as
// the app chooses; `backend=wasm` hides WebGPU here too. The first run is cold (the download when
// the model is not stored yet, ORT's session), the others warm (the worker keeps its session).

import { type CapabilityReport, createUpscaler, getManifest, type UpscaleBackend } from '@hybridgen/core';
import { newStore } from './workers.js';

/** The app's upscaler model id (apps/canvas/src/imaging.ts `UPSCALER_MODEL_ID`). */
const MODEL_ID = 'esrgan-slim';
const SCALE = 4;
/** The GPU machine's input side; the dev machine's test asks for less (`upscaleSide`). */
const DEFAULT_INPUT_SIDE = 512;

/** One upscale as the benchmark reports it. */
export interface UpscaleRun {
  /** From the call to the PNG in hand (download, decode, tiles, stitching, PNG encoding). */
  readonly wallMs: number;
  /** From the call to the first tile done: the download (cold), ORT's session (cold), one tile. */
  readonly firstTileMs: number;
  /** The model's own time over all tiles (the worker's measure). */
  readonly inferenceMs: number;
  readonly tiles: number;
  readonly width: number;
  readonly height: number;
  readonly pngBytes: number;
  /** Bytes of the model this run downloaded (a first visit's cold run; 0 once stored). */
  readonly downloadedBytes: number;
  /** From the call to the model verified in the store (its download, or the check that it is there). */
  readonly storeMs: number;
}

/** The app's rule (apps/canvas/src/imaging.ts): WebGPU on a real adapter, WebAssembly otherwise. */
function upscaleBackend(capabilities: CapabilityReport): UpscaleBackend {
  return capabilities.webgpu.available && !capabilities.webgpu.adapter.isFallbackAdapter ? 'webgpu' : 'wasm';
}

/** A deterministic picture with edges, gradients and flat areas (what an upscaler has to keep apart). */
async function testPicture(side: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(side, side);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D context');
  const sky = ctx.createLinearGradient(0, 0, 0, side);
  sky.addColorStop(0, '#3a6ea5');
  sky.addColorStop(1, '#f4d58d');
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, side, side);
  for (let i = 0; i < 12; i++) {
    ctx.fillStyle = `hsl(${(i * 37) % 360} 60% ${35 + (i % 4) * 10}%)`;
    ctx.beginPath();
    ctx.arc(side * (0.08 + 0.08 * i), side * (0.55 + 0.3 * Math.sin(i)), side * (0.03 + 0.01 * (i % 5)), 0, 2 * Math.PI);
    ctx.fill();
  }
  ctx.strokeStyle = '#1d1d1d';
  ctx.lineWidth = 3;
  for (let i = 0; i < 8; i++) {
    ctx.beginPath();
    ctx.moveTo(0, side * (0.1 + 0.1 * i));
    ctx.lineTo(side, side * (0.15 + 0.09 * i));
    ctx.stroke();
  }
  ctx.fillStyle = '#fff';
  ctx.font = `${side / 10}px sans-serif`;
  ctx.fillText('hybridgen 4x', side * 0.1, side * 0.3);
  return canvas.convertToBlob({ type: 'image/png' });
}

/**
 * Upscales the test picture `runs` times with one upscaler (one worker, one session): run 0 cold,
 * the rest warm. `hideWebGpu`: the page's backend=wasm; `inputSide`: the picture's side (512 px by default).
 */
export async function benchUpscale(runs: number, capabilities: CapabilityReport, hideWebGpu: boolean, inputSide = DEFAULT_INPUT_SIDE) {
  const manifest = getManifest(MODEL_ID);
  const backend: UpscaleBackend = hideWebGpu ? 'wasm' : upscaleBackend(capabilities);
  const store = newStore({ mirrorRoot: '/models/' });
  const variant = backend === 'webgpu' ? 'webgpu-f32' : 'wasm';
  const alreadyStored = (await store.status(manifest, variant)).state === 'ready';
  const upscaler = createUpscaler({
    createWorker: () => new Worker(new URL('./upscale.worker.ts', import.meta.url), { type: 'module' }),
    store,
    manifest,
    backend,
  });
  const image = await testPicture(inputSide);
  const out: UpscaleRun[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      let firstTileMs = 0;
      let tiles = 0;
      let downloadedBytes = 0;
      let storeMs = 0;
      const result = await upscaler.upscale(image, {
        scale: SCALE,
        onProgress: (step) => {
          if (step.phase === 'download') {
            if (step.event.scope === 'model' && step.event.status === 'done') {
              downloadedBytes = step.event.downloadedBytes;
              storeMs = performance.now() - started;
            }
            return;
          }
          tiles = step.tilesTotal;
          if (step.tilesDone === 1) firstTileMs = performance.now() - started;
        },
      });
      out.push({
        wallMs: Math.round(performance.now() - started),
        firstTileMs: Math.round(firstTileMs),
        inferenceMs: Math.round(result.inferenceMs),
        tiles,
        width: result.width,
        height: result.height,
        pngBytes: result.png.size,
        downloadedBytes,
        storeMs: Math.round(storeMs),
      });
    }
  } finally {
    upscaler.dispose();
  }
  const warm = out.slice(1).map((r) => r.wallMs);
  return {
    model: manifest.id,
    backend,
    scale: SCALE,
    inputSide,
    alreadyStored,
    runs: out,
    coldMs: out[0]?.wallMs ?? null,
    warmMedianMs: warm.length ? ([...warm].sort((a, b) => a - b)[Math.floor(warm.length / 2)] as number) : null,
  };
}
