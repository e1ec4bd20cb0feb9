// The local path of the app, timed end to end in a real browser with nobody driving it: download
// the model into OPFS, derive the variant this device needs (int8 for WASM, fp32 for WebGPU without
// shader-f16), load it into the worker engine, then make drafts. The wiring is the canvas app's
// (apps/canvas/src/services.ts): ModelStore, worker engine, variant builder, createLocalRenderer.
//
// Like a user who opens the page and presses Generate at once: the stored model starts loading at
// page open (as the canvas app does) and the first Quick Preview draft is asked for right away, so it
// waits for that same load; "first image" is the time from navigation start to that draft's image.
// Then more Quick Preview drafts (tiny decoder when the variant has one; every other one repeats the
// prompt with a new seed, so it skips the text encoder), engine drafts with the full VAE decoder
// (fullDrafts), and optionally one High Quality render (hq=1), then the Sketch lens's path (lens=N,
// issue 17): a sketch drawn on a canvas, exported to PNG (as the lens exports its frame), made into
// an image (img2img, strength 0.5: the tiny encoder, one UNet step, the tiny decoder, PNG);
// `strokeToImageMs` runs from the end of the stroke to the PNG in hand, the lens's 250 ms pause
// excluded; the first run includes the encoder's session creation. Long tasks on the main thread are
// counted throughout (PerformanceObserver). Then upscaling (upscale=N, issue 17): a 512 px picture
// to 2048 px (4x) with the real ESRGAN-slim weights from the mirror, N runs on one upscaler, the
// first cold (bench-upscale.ts). Last, background removal (bgremove=N, bench-bgremove.ts): a 1024 px
// picture through the app's segmenter path N times, first run (download + session) vs warm.
//
// Query: model=<mirrored manifest id> (required, unless bgremove=N alone: then only that runs), threads=<WASM threads> (default: the engine's),
// drafts=<count> (default 2), fullDrafts=<count> (default 0), hq=1, lens=<count> (default 0),
// upscale=<count> (default 0; needs esrgan-slim in the mirror), upscaleSide=<px> (default 512), backend=wasm (hide WebGPU from the renderer) | auto (default),
// bgremove=<count> (default 0), label=<free text>, probe=1 (report the capabilities and stop), fallbackAdapter=1 (let a software
// WebGPU adapter such as SwiftShader run the model, as chooseBackend's allowFallbackAdapter). Output: console lines `HG_PROGRESS <json>`, then one `HG_RESULT <json>` or
// `HG_ERROR <json>`; bench/gpu/browser_bench.py reads them from the browser's log.

import {
  type CapabilityReport,
  createLocalRenderer,
  createPngEncoder,
  createWorkerEngine,
  detectCapabilities,
  type EngineLoadResult,
  type LocalEngine,
  type LocalPreparation,
  loadManifest,
  readPipelineConfig,
} from '@hybridgen/core';
import { createVariantBuilder, createVariantDeriver, openStoredVariant, opfsDirectory } from '@hybridgen/variants';
import { benchBackgroundRemoval, bgRemoveBackend } from './bench-bgremove.js';
import engineWorkerUrl from './bench-engine.worker.ts?worker&url';
import { benchUpscale } from './bench-upscale.js';
import { createPngWorker, newStore } from './workers.js';

const params = new URLSearchParams(location.search);
const modelId = params.get('model');
const threads = params.get('threads');
const drafts = Number(params.get('drafts') ?? '2');
const fullDrafts = Number(params.get('fullDrafts') ?? '0');
const hq = params.get('hq') === '1';
const lensRuns = Number(params.get('lens') ?? '0');
const upscaleRuns = Number(params.get('upscale') ?? '0');
const upscaleSide = Number(params.get('upscaleSide') ?? '512');
const backendParam = params.get('backend') ?? 'auto';
const bgremoveRuns = Number(params.get('bgremove') ?? '0');
const label = params.get('label') ?? '';
const allowFallbackAdapter = params.get('fallbackAdapter') === '1';

function emit(kind: 'HG_PROGRESS' | 'HG_RESULT' | 'HG_ERROR', payload: unknown): void {
  console.log(`${kind} ${JSON.stringify(payload)}`);
}

/** The capability report the renderer sees: with `backend=wasm`, WebGPU is reported missing. */
function forBackend(caps: CapabilityReport): CapabilityReport {
  if (backendParam !== 'wasm') return caps;
  return { ...caps, webgpu: { available: false, reason: 'no-navigator-gpu', message: 'hidden by the benchmark (backend=wasm)' } };
}

/** Wraps the engine so the benchmark keeps each load's result (timings, thread count), which the renderer drops. */
function recordingLoads(engine: LocalEngine, loads: EngineLoadResult[]): LocalEngine {
  return new Proxy(engine, {
    get(target, property) {
      if (property === 'load')
        return async (...args: Parameters<LocalEngine['load']>) => {
          const result = await target.load(...args);
          loads.push(result);
          return result;
        };
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Wall-clock time of each preparation phase (downloading, deriving, loading), from the renderer's typed state. */
function phaseClock(start: number) {
  const phases: Record<string, number> = {};
  const starts: { phase: string; at: number }[] = [];
  let current: string | null = null;
  let since = start;
  let lastLog = 0;
  return {
    phases,
    starts,
    onPreparation(p: LocalPreparation): void {
      const now = performance.now();
      if (p.state !== current) {
        if (current && current !== 'idle') phases[current] = (phases[current] ?? 0) + (now - since);
        starts.push({ phase: p.state, at: Math.round(now) });
        current = p.state;
        since = now;
      }
      if (now - lastLog > 5000 || p.state === 'ready') {
        lastLog = now;
        emit('HG_PROGRESS', { t: Math.round(now - start), phase: p.state, fraction: Number(p.fraction?.toFixed(3) ?? 0), stage: p.stage });
      }
    },
  };
}

/** Main-thread long tasks (> 50 ms) while the page runs. */
/** What the stored derived variants of the model record (e.g. attention blocks fused per graph), by kind. */
async function derivedVariants(modelId: string): Promise<Record<string, { attentionFused: Record<string, number> | null }>> {
  const root = await navigator.storage.getDirectory();
  const out: Record<string, { attentionFused: Record<string, number> | null }> = {};
  for (const kind of ['fp32', 'int8']) {
    const stored = await openStoredVariant(await opfsDirectory(root, `variants/${modelId}/${kind}`));
    if (stored) out[kind] = { attentionFused: stored.attentionFused };
  }
  return out;
}

function longTasks() {
  const durations: number[] = [];
  const entries: { at: number; ms: number }[] = [];
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        durations.push(entry.duration);
        entries.push({ at: Math.round(entry.startTime), ms: Math.round(entry.duration) });
      }
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    // No longtask entries in this browser: the report says so with null.
    return { report: () => null };
  }
  return {
    report: () => ({
      count: durations.length,
      maxMs: Math.round(Math.max(0, ...durations)),
      totalMs: Math.round(durations.reduce((a, b) => a + b, 0)),
      // When each happened (ms from navigation start), to place it among the phases (`phaseStarts`).
      entries,
    }),
  };
}

/** A sketch with `strokes` pen strokes, as PNG (the lens exports its frame the same way, white background). */
async function sketch(strokes: number, side: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(side, side);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D context');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, side, side);
  ctx.strokeStyle = '#1d1d1d';
  ctx.lineWidth = 6;
  ctx.lineCap = 'round';
  for (let s = 0; s < strokes; s++) {
    ctx.beginPath();
    for (let i = 0; i <= 12; i++) {
      const x = side * (0.1 + 0.065 * i);
      const y = side * (0.2 + 0.12 * (s % 6)) + Math.sin(i + s) * side * 0.04;
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
  return canvas.convertToBlob({ type: 'image/png' });
}

const PROMPTS = ['a watercolor fox in a forest', 'a red cat on a blue chair', 'a lighthouse at dusk, oil painting', 'a bowl of ramen, studio photo'];

/** Background removal alone (bgremove=N without model=): the segmenter's path, no drafts. */
async function backgroundRemovalOnly(): Promise<void> {
  const capabilities = await detectCapabilities();
  const bgremove = await benchBackgroundRemoval(bgremoveRuns, bgRemoveBackend(capabilities, backendParam, allowFallbackAdapter));
  emit('HG_RESULT', { label, crossOriginIsolated, userAgent: navigator.userAgent, webgpu: capabilities.webgpu, bgremove });
}

async function main(): Promise<void> {
  if (!modelId && bgremoveRuns > 0) return backgroundRemovalOnly();
  if (!modelId) throw new Error('the query needs model=<mirrored manifest id> (or bgremove=N alone)');
  const start = performance.now();
  const [capabilities, manifest] = await Promise.all([detectCapabilities(), loadManifest(`/models/${encodeURIComponent(modelId)}/manifest.json`)]);
  if (params.get('probe')) {
    emit('HG_RESULT', {
      probe: true,
      hardwareConcurrency: navigator.hardwareConcurrency,
      crossOriginIsolated,
      webgpu: capabilities.webgpu,
      wasm: capabilities.wasm,
    });
    return;
  }
  const store = newStore({ mirrorRoot: '/models/' });
  const loads: EngineLoadResult[] = [];
  const engine = recordingLoads(
    createWorkerEngine({
      // The thread count travels in the worker's URL (Vite needs static Worker options).
      createWorker: () => new Worker(threads ? `${engineWorkerUrl}?threads=${threads}` : engineWorkerUrl, { type: 'module' }),
      timeouts: { generate: 30 * 60_000, load: 60 * 60_000 },
    }),
    loads,
  );
  const builder = createVariantBuilder({ createWorker: () => new Worker(new URL('./variants.worker.ts', import.meta.url), { type: 'module' }) });
  const local = createLocalRenderer({
    engine,
    store,
    manifest,
    capabilities: forBackend(capabilities),
    derive: createVariantDeriver({ builder }),
    encodePng: createPngEncoder({ createWorker: createPngWorker }),
    ...(allowFallbackAdapter ? { choose: { allowFallbackAdapter } } : {}),
  });
  await local.refresh();
  const stored = (await store.status(manifest, local.downloadVariant ?? 'webgpu-f16')).state === 'ready';
  const clock = phaseClock(0);
  local.onPreparation((p) => clock.onPreparation(p));
  const jank = longTasks();
  const size = readPipelineConfig(manifest.pipeline, manifest.id).defaultSize;
  // The canvas app starts loading a stored model at page open; the first draft is asked for at once.
  const atOpen = stored ? local.prepare().catch(() => {}) : null;
  const runs = [];
  let firstImageMs = 0;
  for (let i = 0; i < drafts; i++) {
    const prompt = PROMPTS[Math.floor(i / 2) % PROMPTS.length] as string;
    const output = await local.render({ prompt, seed: 1000 + i, width: size, height: size, settings: 'draft' }, {});
    if (i === 0) firstImageMs = performance.now();
    // `engine` is the backend here; the engine's own time of the draft is `engineMs`.
    runs.push({ ...output.timings, engineMs: output.timings.engine, engine: output.engine, pngBytes: output.image.size });
    emit('HG_PROGRESS', { t: Math.round(performance.now() - start), phase: 'draft', done: i + 1, of: drafts, totalMs: Math.round(output.timings.total ?? 0) });
  }
  await atOpen;
  const fullRuns = [];
  for (let i = 0; i < fullDrafts; i++) {
    const image = await engine.generate({ prompt: PROMPTS[i % PROMPTS.length] as string, seed: 2000 + i, steps: 1, decoder: 'full' });
    fullRuns.push({ decoder: image.decoder, ...image.timings });
  }
  const hqRun = hq ? (await local.render({ prompt: PROMPTS[0] as string, seed: 3000, width: size, height: size, settings: 'hq' }, {})).timings : null;
  const lens = [];
  for (let i = 0; i < lensRuns; i++) {
    const strokeEnd = performance.now();
    const initImage = await sketch(3 + i, 512);
    const exportMs = performance.now() - strokeEnd;
    const output = await local.render(
      { prompt: 'a cosy cabin in a snowy forest, warm light', seed: 4000 + i, width: size, height: size, settings: 'draft', initImage, strength: 0.5 },
      {},
    );
    lens.push({ strokeToImageMs: Math.round(performance.now() - strokeEnd), exportMs: Math.round(exportMs), ...output.timings, pngBytes: output.image.size });
  }
  const upscale = upscaleRuns > 0 ? await benchUpscale(upscaleRuns, capabilities, backendParam === 'wasm', upscaleSide) : null;
  const bgremove = bgremoveRuns > 0 ? await benchBackgroundRemoval(bgremoveRuns, bgRemoveBackend(capabilities, backendParam, allowFallbackAdapter)) : null;
  const estimate = await navigator.storage.estimate();
  emit('HG_RESULT', {
    label,
    model: manifest.id,
    threadsAsked: threads ? Number(threads) : null,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated,
    userAgent: navigator.userAgent,
    webgpu: capabilities.webgpu.available ? capabilities.webgpu.adapter : { unavailable: capabilities.webgpu.reason },
    wasm: capabilities.wasm,
    choice: { backend: local.choice.backend, reasons: local.choice.reasons },
    alreadyStored: stored,
    firstImageMs: Math.round(firstImageMs),
    engineLoads: loads.length,
    longTasks: jank.report(),
    phaseStarts: clock.starts,
    phasesMs: Object.fromEntries(Object.entries(clock.phases).map(([k, v]) => [k, Math.round(v)])),
    loads: loads.map((l) => ({ backend: l.backend, wasmThreads: l.wasmThreads, size: l.size, timings: l.timings, reasons: l.reasons })),
    drafts: runs,
    fullVaeDrafts: fullRuns,
    hq: hqRun,
    lens,
    upscale,
    bgremove,
    storageUsageBytes: estimate.usage ?? null,
    derivedVariants: await derivedVariants(manifest.id),
    totalMs: Math.round(performance.now() - start),
  });
}

main().catch((error: unknown) => {
  const e = error instanceof Error ? error : new Error(String(error));
  emit('HG_ERROR', { name: e.name, message: e.message, stack: e.stack, cause: e.cause instanceof Error ? e.cause.message : undefined });
});
