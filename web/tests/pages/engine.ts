// Local-engine hooks for browser tests, as `window.hgEngine`: one engine per page, in a worker (default) or in the page.

import type {
  Backend,
  EngineGenerateRequest,
  EngineLoadResult,
  EngineModel,
  EngineProgress,
  EngineStatus,
  GeneratedImage,
  LocalEngine,
  ModelFileSource,
  ModelVariant,
  WorkerEngine,
} from '@hybridgen/core';
import { blobSource, createInPageEngine, createWorkerEngine, imageToPngBlob, loadManifest, serializeError, unloadWhenHidden } from '@hybridgen/core';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import { newStore } from './workers.js';

/** The generated test model, served by the Go model mirror (`hybridgen serve -models-dir`). */
export const TEST_MODEL_BASE = '/models/test-tiny-sd/';

let engine: LocalEngine | null = null;
const progress: EngineProgress[] = [];
const longTasks: number[] = [];
let observer: PerformanceObserver | null = null;

/** An image as JSON-friendly data (RGBA in base64). */
export interface ImageSummary extends Omit<GeneratedImage, 'rgba'> {
  readonly rgbaBase64: string;
}

function summarise(image: GeneratedImage): ImageSummary {
  const { rgba, ...rest } = image;
  let binary = '';
  for (let i = 0; i < rgba.length; i += 0x8000) binary += String.fromCharCode(...rgba.subarray(i, i + 0x8000));
  return { ...rest, rgbaBase64: btoa(binary) };
}

function current(): LocalEngine {
  if (!engine) throw new Error('hgEngine.create() first');
  return engine;
}

/** Errors cross `page.evaluate` as plain data with their class name. */
/** An error as plain data for `page.evaluate`: name, message, stack and the error's own fields (`details`, ...). */
interface PlainError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly details?: Record<string, unknown>;
}

function plainError(error: unknown): PlainError {
  const { fields, name, message, stack } = serializeError(error);
  return { ...fields, name, message, ...(stack ? { stack } : {}) };
}

async function settle<T>(work: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: PlainError }> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    return { ok: false, error: plainError(error) };
  }
}

async function loadModel(
  options: {
    backend?: Backend | 'auto';
    variantsFrom?: Partial<Record<Backend, Backend>>;
    /** Point this variant's UNet at a file that is not ONNX, so its session creation fails (fallback tests). */
    breakUnetOf?: Backend;
    /** Pretend the wasm variant needs this much memory (ModelTooLargeError tests). */
    wasmPeakBytes?: number;
    size?: number;
    blobs?: boolean;
    warmUp?: boolean;
    /** Replace the test model's tiny_decoder: with the VAE decoder file under that role (true; tests tell the two by their conventions), or with none (false). */
    tinyDecoderFromVae?: boolean;
  } = {},
) {
  const manifest = (await (await fetch(`${TEST_MODEL_BASE}manifest.json`)).json()) as EngineModel;
  let model = manifest;
  if (options.variantsFrom) {
    // Tests reshape the manifest, e.g. serve the fp16 files as a "webgpu-f32" variant to prove they are refused.
    const variants: Partial<Record<Backend, ModelVariant>> = { ...manifest.variants };
    for (const [to, from] of Object.entries(options.variantsFrom) as [Backend, Backend][]) {
      const variant = manifest.variants[from];
      // The files of `from` under the requirements (labels) of `to`.
      if (variant) variants[to] = { requirements: manifest.variants[to]?.requirements ?? variant.requirements, files: variant.files };
    }
    model = { ...manifest, variants };
  }
  const broken = options.breakUnetOf ? model.variants[options.breakUnetOf] : undefined;
  if (options.breakUnetOf && broken) {
    const files = broken.files.map((f) => (f.role === 'unet' ? { ...f, path: 'tokenizer/vocab.json' } : f));
    model = { ...model, variants: { ...model.variants, [options.breakUnetOf]: { ...broken, files } } };
  }
  if (options.wasmPeakBytes && model.variants.wasm) {
    const wasm = model.variants.wasm;
    model = { ...model, variants: { ...model.variants, wasm: { ...wasm, requirements: { ...wasm.requirements, peakMemoryBytes: options.wasmPeakBytes } } } };
  }
  if (options.tinyDecoderFromVae !== undefined) {
    // The test model's own tiny decoder is replaced: by the VAE graph under that role (true), so the
    // reference can tell the two decoders' conventions apart, or by nothing (false).
    const variants: Partial<Record<Backend, ModelVariant>> = {};
    for (const [name, variant] of Object.entries(model.variants) as [Backend, ModelVariant][]) {
      const files = variant.files.filter((f) => f.role !== 'tiny_decoder');
      const vae = files.find((f) => f.role === 'vae_decoder');
      variants[name] = { ...variant, files: options.tinyDecoderFromVae && vae ? [...files, { ...vae, role: 'tiny_decoder' }] : files };
    }
    model = { ...model, variants };
  }
  let source: ModelFileSource = { kind: 'url', baseUrl: new URL(TEST_MODEL_BASE, location.href).href };
  if (options.blobs) {
    const files: Record<string, Blob> = {};
    for (const v of Object.values(model.variants)) for (const f of v?.files ?? []) files[f.path] ??= await (await fetch(`${TEST_MODEL_BASE}${f.path}`)).blob();
    source = { kind: 'blobs', files };
  }
  return current().load(
    {
      model,
      source,
      backend: options.backend ?? 'auto',
      choose: { allowFallbackAdapter: true },
      ...(options.size ? { size: options.size } : {}),
      ...(options.warmUp === undefined ? {} : { warmUp: options.warmUp }),
    },
    { onProgress: (p) => progress.push(p) },
  );
}

const hooks = {
  create(kind: 'worker' | 'page' = 'worker'): void {
    engine?.dispose();
    engine =
      kind === 'worker'
        ? createWorkerEngine({ createWorker: () => new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' }) })
        : createInPageEngine({ runtime: { wasmPaths: { wasm: wasmUrl } } });
  },
  load: (options?: Parameters<typeof loadModel>[0]) => settle<EngineLoadResult>(loadModel(options)),
  /** Downloads the variant into OPFS with the model store, then loads the engine from the stored OPFS Files. */
  loadFromStore: (variant: Backend) =>
    settle(
      (async () => {
        const manifest = await loadManifest(`${TEST_MODEL_BASE}manifest.json`);
        const store = newStore();
        const download = await store.download(manifest, { variant });
        const stored = await store.openFiles(manifest, variant);
        const load = await current().load({ model: manifest, source: blobSource(stored.files), backend: variant, warmUp: false });
        return { load, storedFiles: stored.files.map((f) => ({ path: f.path, isFile: f.file instanceof File })), download };
      })(),
    ),
  generate: (request: EngineGenerateRequest) =>
    settle(
      current()
        .generate(request, { onProgress: (p) => progress.push(p) })
        .then(summarise),
    ),
  /** Starts a generation and aborts it when UNet step `step` begins. */
  generateAbortingAtStep(request: EngineGenerateRequest, step: number) {
    const controller = new AbortController();
    return settle(
      current()
        .generate(request, {
          signal: controller.signal,
          onProgress: (p) => {
            progress.push(p);
            if (p.stage === 'unet' && p.step === step) controller.abort(new DOMException(`test aborts at UNet step ${step}`, 'AbortError'));
          },
        })
        .then(summarise),
    );
  },
  /** Generates and measures the page's round trip (the benchmark). */
  async timedGenerate(request: EngineGenerateRequest) {
    const start = performance.now();
    const result = await settle(current().generate(request));
    const roundTripMs = performance.now() - start;
    return result.ok ? { ok: true as const, value: { timings: result.value.timings, roundTripMs } } : result;
  },
  generateWithTimeout: (request: EngineGenerateRequest, timeoutMs: number) => settle(current().generate(request, { timeoutMs }).then(summarise)),
  unload: () => settle(current().unload()),
  status: () => settle<EngineStatus>(current().status()),
  destroyDevice: () => settle(current().debug({ kind: 'destroy-device' })),
  crashWorker: () => settle(current().debug({ kind: 'crash' })),
  terminateWorker(): void {
    (current() as WorkerEngine).terminateWorker();
  },
  progress: () => progress.splice(0),
  /** Unloads after `hiddenMs` with a fake visibility source the test flips. */
  idleUnload(hiddenMs: number) {
    const target = new EventTarget() as EventTarget & { visibilityState: DocumentVisibilityState };
    target.visibilityState = 'visible';
    const unloaded: unknown[] = [];
    unloadWhenHidden(current(), { hiddenMs, source: target as never, onUnload: (r) => unloaded.push(r) });
    return {
      setHidden(hidden: boolean) {
        target.visibilityState = hidden ? 'hidden' : 'visible';
        target.dispatchEvent(new Event('visibilitychange'));
      },
      unloaded,
    };
  },
  async pngSize(request: EngineGenerateRequest): Promise<{ type: string; bytes: number }> {
    const image = await current().generate(request);
    const blob = await imageToPngBlob(image);
    return { type: blob.type, bytes: blob.size };
  },
  watchLongTasks(): void {
    longTasks.length = 0;
    observer?.disconnect();
    observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) longTasks.push(entry.duration);
    });
    observer.observe({ type: 'longtask' });
  },
  longTasks: () => [...longTasks],
};

/** Registers the hooks as `window.hgEngine`. */
export function registerEngineHooks(): void {
  (window as unknown as { hgEngine: typeof hooks }).hgEngine = hooks;
}

declare global {
  interface Window {
    hgEngine: typeof hooks;
  }
}
registerEngineHooks();
