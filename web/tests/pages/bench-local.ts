// The local path of the app, timed end to end in a real browser with nobody driving it: download
// the model into OPFS, derive the variant this device needs (int8 for WASM, fp32 for WebGPU without
// shader-f16), load it into the worker engine, then make drafts. The wiring is the canvas app's
// (apps/canvas/src/services.ts): ModelStore, worker engine, variant builder, createLocalRenderer.
//
// Query: model=<mirrored manifest id> (required), threads=<WASM threads> (default: the engine's),
// drafts=<count> (default 2), backend=wasm (hide WebGPU from the renderer) | auto (default),
// label=<free text>, probe=1 (report the capabilities and stop), fallbackAdapter=1 (let a software
// WebGPU adapter such as SwiftShader run the model, as chooseBackend's allowFallbackAdapter). Output: console lines `HG_PROGRESS <json>`, then one `HG_RESULT <json>` or
// `HG_ERROR <json>`; bench/gpu/browser_bench.py reads them from the browser's log.

import {
  type CapabilityReport,
  createLocalRenderer,
  createVariantBuilder,
  createWorkerEngine,
  detectCapabilities,
  type EngineLoadResult,
  type LocalEngine,
  loadManifest,
  ModelStore,
  type RouteProgress,
} from '@hybridgen/core';
import engineWorkerUrl from './bench-engine.worker.ts?worker&url';

const params = new URLSearchParams(location.search);
const modelId = params.get('model');
const threads = params.get('threads');
const drafts = Number(params.get('drafts') ?? '2');
const backendParam = params.get('backend') ?? 'auto';
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

/** Wall-clock time of each phase the renderer reports (downloading, deriving, loading). */
function phaseClock(start: number) {
  const phases: Record<string, number> = {};
  let current: string | null = null;
  let since = start;
  let lastLog = 0;
  return {
    phases,
    onProgress(p: RouteProgress): void {
      const name = p.phase === 'loading' && p.detail?.startsWith('Preparing') ? 'deriving' : p.phase;
      const now = performance.now();
      if (name !== current) {
        if (current) phases[current] = (phases[current] ?? 0) + (now - since);
        current = name;
        since = now;
      }
      if (now - lastLog > 5000 || p.fraction === 1) {
        lastLog = now;
        emit('HG_PROGRESS', { t: Math.round(now - start), phase: name, fraction: Number(p.fraction?.toFixed(3) ?? 0), detail: p.detail });
      }
    },
    end(): void {
      if (current) phases[current] = (phases[current] ?? 0) + (performance.now() - since);
      current = null;
    },
  };
}

async function main(): Promise<void> {
  if (!modelId) throw new Error('the query needs model=<mirrored manifest id>');
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
  const store = new ModelStore({ mirrorRoot: '/models/' });
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
    derive: { builder },
    ...(allowFallbackAdapter ? { choose: { allowFallbackAdapter } } : {}),
  });
  await local.refresh();
  const stored = (await store.status(manifest, local.downloadVariant ?? 'webgpu-f16')).state === 'ready';
  const clock = phaseClock(start);
  const prepareStart = performance.now();
  await local.prepare({ onProgress: (p) => clock.onProgress(p) });
  clock.end();
  const prepareMs = performance.now() - prepareStart;
  const size = (manifest.pipeline as { defaultSize?: number }).defaultSize ?? 512;
  const runs = [];
  for (let i = 0; i < drafts; i++) {
    const output = await local.render({ prompt: 'a watercolor fox in a forest', seed: 1000 + i, width: size, height: size, settings: 'draft' }, {});
    runs.push({ ...output.timings, engine: output.engine, pngBytes: output.image.size });
    emit('HG_PROGRESS', { t: Math.round(performance.now() - start), phase: 'draft', done: i + 1, of: drafts, totalMs: Math.round(output.timings.total ?? 0) });
  }
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
    prepareMs: Math.round(prepareMs),
    phasesMs: Object.fromEntries(Object.entries(clock.phases).map(([k, v]) => [k, Math.round(v)])),
    loads: loads.map((l) => ({ backend: l.backend, wasmThreads: l.wasmThreads, size: l.size, timings: l.timings, reasons: l.reasons })),
    drafts: runs,
    storageUsageBytes: estimate.usage ?? null,
    totalMs: Math.round(performance.now() - start),
  });
}

main().catch((error: unknown) => {
  const e = error instanceof Error ? error : new Error(String(error));
  emit('HG_ERROR', { name: e.name, message: e.message, stack: e.stack, cause: e.cause instanceof Error ? e.cause.message : undefined });
});
