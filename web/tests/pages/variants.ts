// Model-variant hooks for browser tests, as `window.hgVariants`: build the fp32 / int8 variants of the
// test model into OPFS in a worker, run them (or the original fp16 files) through the in-page engine,
// and report the wasm heap's high-water mark.

import type { Backend, EngineModel, ModelFileSource, ModelVariant } from '@hybridgen/core';
import { chooseBackend, createInPageEngine, detectCapabilities, serializeError } from '@hybridgen/core';
import type { BuiltVariant, VariantKind } from '@hybridgen/variants';
import {
  createVariantBuilder,
  engineInputsFor,
  ensureDerivedVariant,
  openStoredVariant,
  opfsDirectory,
  VARIANT_FILE,
  withEstimatedDerivedVariants,
} from '@hybridgen/variants';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

// The generated test model, served by the Go model mirror (`hybridgen serve -models-dir`, see harness/engine-models.ts).
const MODEL_BASE = '/models/test-tiny-sd/';

// Every WebAssembly.Memory the page creates (ORT's threaded build creates its heap in JS), for the peak.
const memories: WebAssembly.Memory[] = [];
WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
  construct(target, args: [WebAssembly.MemoryDescriptor]) {
    const memory = Reflect.construct(target, args) as WebAssembly.Memory;
    memories.push(memory);
    return memory;
  },
});

/** The largest wasm memory in the page, in bytes (memories only grow: this is the high-water mark). */
function wasmHeapBytes(): number {
  return Math.max(0, ...memories.map((m) => m.buffer.byteLength));
}

async function manifest(): Promise<EngineModel> {
  return (await (await fetch(`${MODEL_BASE}manifest.json`)).json()) as EngineModel;
}

async function sourceBlobs(variant: ModelVariant, cut?: { path: string; bytes: number }): Promise<Record<string, Blob>> {
  const blobs: Record<string, Blob> = {};
  for (const f of variant.files) {
    const blob = await (await fetch(`${MODEL_BASE}${f.path}`)).blob();
    blobs[f.path] = cut?.path === f.path ? blob.slice(0, cut.bytes) : blob;
  }
  return blobs;
}

async function settle<T>(work: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: ReturnType<typeof serializeError> }> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    return { ok: false, error: serializeError(error) };
  }
}

/** A derived variant in OPFS: `fp32-plain` is the fp32 variant built without the attention fusion. */
type StoredKind = VariantKind | 'fp32-plain';

const outDir = (kind: StoredKind) => `variants/test-tiny-sd/${kind}`;

/** Options of a build from the page. */
interface BuildHookOptions {
  /** Cut this source file short (a truncated download). */
  readonly truncate?: { readonly path: string; readonly bytes: number };
  /** Abort once this many weight bytes of the UNet are done. */
  readonly abortAfterUnetBytes?: number;
  /** false: build fp32 without the attention fusion, into `fp32-plain`. */
  readonly fuseAttention?: boolean;
}

async function build(kind: VariantKind, options: BuildHookOptions = {}): Promise<BuiltVariant> {
  const model = await manifest();
  const f16 = model.variants['webgpu-f16'];
  if (!f16) throw new Error('the test model has no webgpu-f16 variant');
  const builder = createVariantBuilder({ createWorker: () => new Worker(new URL('./variants.worker.ts', import.meta.url), { type: 'module' }) });
  const controller = new AbortController();
  try {
    return await builder.build(
      {
        kind,
        files: f16.files,
        blobs: await sourceBlobs(f16, options.truncate),
        outDir: outDir(options.fuseAttention === false ? 'fp32-plain' : kind),
        ...(options.fuseAttention === undefined ? {} : { fuseAttention: options.fuseAttention }),
        // Small data files, so the test model's graphs use several external data chunks.
        externalDataThresholdBytes: 1024,
        maxExternalFileBytes: 64 * 1024,
        quantize: { minElements: 512 },
      },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (options.abortAfterUnetBytes !== undefined && p.role === 'unet' && p.doneBytes >= options.abortAfterUnetBytes)
            controller.abort(new DOMException('test aborts the build', 'AbortError'));
        },
      },
    );
  } finally {
    builder.dispose();
  }
}

/** Names of the files in the variant's OPFS folder tree (to prove nothing half-written is left). */
async function listStored(kind: VariantKind): Promise<string[]> {
  const names: string[] = [];
  const walk = async (dir: FileSystemDirectoryHandle, prefix: string) => {
    for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
      if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, `${prefix}${name}/`);
      else names.push(prefix + name);
    }
  };
  await walk(await opfsDirectory(await navigator.storage.getDirectory(), outDir(kind)), '');
  return names.sort();
}

/** What to run: a derived variant from OPFS, or the original fp16 files. */
type RunWhat = StoredKind | 'fp16-original' | 'fp32-original';

async function generate(what: RunWhat, backend: Backend, request: { prompt: string; seed: number; steps?: number }) {
  const base = await manifest();
  let variant: ModelVariant | undefined;
  let source: ModelFileSource;
  if (what === 'fp16-original' || what === 'fp32-original') {
    variant = base.variants[what === 'fp16-original' ? 'webgpu-f16' : 'webgpu-f32'];
    source = { kind: 'url', baseUrl: new URL(MODEL_BASE, location.href).href };
  } else {
    const stored = await openStoredVariant(await opfsDirectory(await navigator.storage.getDirectory(), outDir(what)));
    if (!stored) throw new Error(`no complete ${what} variant in OPFS (no ${VARIANT_FILE})`);
    const inputs = engineInputsFor(base, backend, stored);
    variant = inputs.model.variants[backend];
    source = inputs.source;
  }
  if (!variant) throw new Error(`no ${what} variant`);
  const engine = createInPageEngine({ runtime: { wasmPaths: { wasm: wasmUrl } } });
  try {
    const load = await engine.load({
      model: { ...base, variants: { [backend]: variant } },
      source,
      backend,
      choose: { allowFallbackAdapter: true },
      warmUp: false,
    });
    const image = await engine.generate(request);
    const heapAfterRun = wasmHeapBytes();
    let binary = '';
    for (let i = 0; i < image.rgba.length; i += 0x8000) binary += String.fromCharCode(...image.rgba.subarray(i, i + 0x8000));
    return {
      backend: load.backend,
      ioTypes: load.ioTypes,
      width: image.width,
      height: image.height,
      rgbaBase64: btoa(binary),
      heapAfterRun,
      requirements: variant.requirements,
    };
  } finally {
    await engine.unload().catch(() => {});
    engine.dispose();
  }
}

// ---- benchmark hooks (tests/bench): a large synthetic model through the builder, then raw ORT sessions on WASM ----

/** Builds `kind` of the single-graph model at `url` into OPFS `bench/<kind>`. */
async function benchBuild(url: string, kind: VariantKind): Promise<{ ms: number; built: BuiltVariant }> {
  const blob = await (await fetch(url)).blob();
  const builder = createVariantBuilder({ createWorker: () => new Worker(new URL('./variants.worker.ts', import.meta.url), { type: 'module' }) });
  try {
    const t0 = performance.now();
    const built = await builder.build({
      kind,
      files: [{ role: 'unet', path: 'unet/model.onnx', bytes: blob.size }],
      blobs: { 'unet/model.onnx': blob },
      outDir: `bench/${kind}`,
    });
    return { ms: performance.now() - t0, built };
  } finally {
    builder.dispose();
  }
}

/** Creates an ORT WASM session from OPFS `bench/<kind>` (or the original at `url`), runs it once; wasm heap after each step. */
async function benchRunWasm(what: { kind: VariantKind } | { url: string }, width: number) {
  const ort = await import('onnxruntime-web/webgpu');
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
  ort.env.wasm.numThreads = 1;
  const heapBefore = wasmHeapBytes();
  let model: Uint8Array;
  const externalData: { path: string; data: Uint8Array }[] = [];
  if ('url' in what) model = new Uint8Array(await (await fetch(what.url)).arrayBuffer());
  else {
    const stored = await openStoredVariant(await opfsDirectory(await navigator.storage.getDirectory(), `bench/${what.kind}`));
    if (!stored) throw new Error(`no bench/${what.kind}`);
    const modelFile = stored.files['unet/model.onnx'];
    if (!modelFile) throw new Error('no unet/model.onnx');
    model = new Uint8Array(await modelFile.arrayBuffer());
    for (const [path, file] of Object.entries(stored.files)) {
      if (path.startsWith('unet/model.onnx.data.')) externalData.push({ path: path.slice('unet/'.length), data: new Uint8Array(await file.arrayBuffer()) });
    }
  }
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], externalData, enableCpuMemArena: false });
  const createMs = performance.now() - t0;
  const heapAfterCreate = wasmHeapBytes();
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: width }, (_, i) => Math.cos(i)),
    [1, width],
  );
  const t1 = performance.now();
  const out = await session.run({ x });
  const runMs = performance.now() - t1;
  const y = out.y?.data as Float32Array;
  await session.release();
  return { heapBefore, heapAfterCreate, heapAfterRun: wasmHeapBytes(), createMs, runMs, ySample: Array.from(y.subarray(0, 8)) };
}

/**
 * The app's flow for a model that ships only fp16 files: estimate the derived variants, let
 * chooseBackend pick, build the derived variant once into OPFS (or reuse it), run one image.
 */
async function prepareAndGenerate(request: { prompt: string; seed: number; steps?: number }, options: { generate?: boolean } = {}) {
  const full = await manifest();
  const f16 = full.variants['webgpu-f16'];
  if (!f16) throw new Error('no webgpu-f16 variant');
  const onlyF16: EngineModel = { ...full, variants: { 'webgpu-f16': f16 } };
  const source = { files: f16.files, blobs: await sourceBlobs(f16), quantize: { minElements: 512 } };
  const planned = await withEstimatedDerivedVariants(onlyF16, source);
  const caps = await detectCapabilities();
  const requirements = { modelId: planned.id, variants: Object.fromEntries(Object.entries(planned.variants).map(([b, v]) => [b, v.requirements])) };
  const choice = chooseBackend(caps, requirements, { allowFallbackAdapter: true, requirePersistentStorage: false });
  if (choice.backend === 'none') throw new Error(`nothing fits: ${choice.reasons.join('; ')}`);
  const builder = createVariantBuilder({ createWorker: () => new Worker(new URL('./variants.worker.ts', import.meta.url), { type: 'module' }) });
  try {
    const t0 = performance.now();
    const ensured = await ensureDerivedVariant({ model: planned, backend: choice.backend, source, builder, outDir: 'variants/prepared/test-tiny-sd' });
    const ensureMs = performance.now() - t0;
    if (options.generate === false) {
      return {
        backend: choice.backend,
        estimated: planned.variants[choice.backend]?.requirements,
        stored: ensured?.model.variants[choice.backend]?.requirements,
        rebuilt: ensured?.built !== null,
        ensureMs,
        pixels: 0,
      };
    }
    const engine = createInPageEngine({ runtime: { wasmPaths: { wasm: wasmUrl } } });
    try {
      const load = await engine.load({
        model: ensured?.model ?? planned,
        source: ensured?.source ?? { kind: 'blobs', files: source.blobs },
        backend: choice.backend,
        choose: { allowFallbackAdapter: true },
        warmUp: false,
      });
      const image = await engine.generate(request);
      return {
        backend: load.backend,
        estimated: planned.variants[choice.backend]?.requirements,
        stored: ensured?.model.variants[choice.backend]?.requirements,
        rebuilt: ensured?.built !== null,
        ensureMs,
        pixels: image.rgba.length,
      };
    } finally {
      await engine.unload().catch(() => {});
      engine.dispose();
    }
  } finally {
    builder.dispose();
  }
}

const hooks = {
  prepareAndGenerate: (request: { prompt: string; seed: number; steps?: number }, options?: { generate?: boolean }) =>
    settle(prepareAndGenerate(request, options)),
  build: (kind: VariantKind, options?: BuildHookOptions) => settle(build(kind, options)),
  listStored: (kind: VariantKind) => settle(listStored(kind)),
  generate: (what: RunWhat, backend: Backend, request: { prompt: string; seed: number; steps?: number }) => settle(generate(what, backend, request)),
  wasmHeapBytes,
  benchBuild: (url: string, kind: VariantKind) => settle(benchBuild(url, kind)),
  benchRunWasm: (what: { kind: VariantKind } | { url: string }, width: number) => settle(benchRunWasm(what, width)),
};

declare global {
  interface Window {
    hgVariants: typeof hooks;
  }
}
window.hgVariants = hooks;
