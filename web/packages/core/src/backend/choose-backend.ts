import type { CapabilityReport, WebGPUAvailable } from '../capabilities/types.js';
import { formatBytes, GiB } from '../util/bytes.js';
import type { Backend, BackendChoice, BackendRejection, ChooseBackendOptions, ModelRequirements, VariantRequirements } from './types.js';
import { BACKENDS } from './types.js';
import { defaultWasmThreads } from './wasm-threads.js';

/** The most a wasm32 instance can address. */
export const WASM32_MEMORY_LIMIT_BYTES = 4 * GiB;

/** `navigator.deviceMemory` is capped: at this value it means "this much or more". */
const DEVICE_MEMORY_CAP_GIB = 8;

type Verdict = { readonly ok: true; readonly notes: string[] } | { readonly ok: false; readonly rejection: BackendRejection };

function reject(backend: Backend, code: BackendRejection['code'], reason: string): Verdict {
  return { ok: false, rejection: { backend, code, reason } };
}

function adapterName(gpu: WebGPUAvailable): string {
  const { vendor, architecture, description } = gpu.adapter;
  return [vendor, architecture].filter(Boolean).join(' ') || description || 'unknown adapter';
}

function judgeWebGPU(backend: Backend, variant: VariantRequirements, caps: CapabilityReport): Verdict {
  const gpu = caps.webgpu;
  if (!gpu.available) return reject(backend, 'webgpu-unavailable', `WebGPU unavailable: ${gpu.message}`);
  if (variant.needsShaderF16 && !gpu.shaderF16) {
    return reject(backend, 'no-shader-f16', `the ${adapterName(gpu)} adapter has no shader-f16, which the fp16 weights need`);
  }
  const bufferLimit = Math.min(gpu.limits.maxBufferSize, gpu.limits.maxStorageBufferBindingSize);
  if (variant.largestBufferBytes > bufferLimit) {
    return reject(
      backend,
      'buffer-too-large',
      `its largest tensor needs a ${formatBytes(variant.largestBufferBytes)} GPU buffer; the adapter allows ${formatBytes(bufferLimit)}`,
    );
  }
  const kind = backend === 'webgpu-f16' ? 'fp16' : 'fp32';
  const notes = [`WebGPU on ${adapterName(gpu)}: ${kind} weights, ${formatBytes(variant.peakMemoryBytes)} GPU memory`];
  if (backend === 'webgpu-f32' && !gpu.shaderF16) notes.unshift(`no shader-f16: fp32 weights needed, ${formatBytes(variant.peakMemoryBytes)} GPU memory`);
  return { ok: true, notes };
}

function judgeWasm(variant: VariantRequirements, caps: CapabilityReport, options: ChooseBackendOptions): Verdict {
  const { wasm, device } = caps;
  if (!wasm.supported) return reject('wasm', 'wasm-unsupported', 'WebAssembly is not available');
  if (!wasm.simd) return reject('wasm', 'wasm-no-simd', 'WebAssembly SIMD is missing, and the inference runtime requires it');
  if (variant.peakMemoryBytes > WASM32_MEMORY_LIMIT_BYTES) {
    return reject(
      'wasm',
      'wasm32-memory',
      `it needs ${formatBytes(variant.peakMemoryBytes)} of wasm memory; wasm32 addresses at most ${formatBytes(WASM32_MEMORY_LIMIT_BYTES)}`,
    );
  }
  const memGiB = device.deviceMemoryGiB;
  if (memGiB !== null && memGiB < DEVICE_MEMORY_CAP_GIB && variant.peakMemoryBytes > memGiB * GiB * 0.5) {
    return reject('wasm', 'device-memory', `it needs ${formatBytes(variant.peakMemoryBytes)} of RAM; the device reports about ${memGiB} GiB in all`);
  }
  const cores = device.hardwareConcurrency;
  const count = options.wasmThreads ?? defaultWasmThreads(cores);
  const threads = !wasm.threads
    ? `one CPU thread (${wasm.crossOriginIsolated ? 'no shared memory' : 'page not cross-origin isolated'})`
    : cores
      ? `${count} of ${cores} CPU threads`
      : `${count} CPU thread${count === 1 ? '' : 's'} (core count unknown)`;
  return { ok: true, notes: [`WASM on ${threads}, SIMD, ${formatBytes(variant.peakMemoryBytes)} wasm memory`] };
}

function judgeStorage(backend: Backend, variant: VariantRequirements, caps: CapabilityReport, options: ChooseBackendOptions): Verdict {
  if (options.requirePersistentStorage === false) return { ok: true, notes: [] };
  const { storage } = caps;
  if (!storage.opfs) return reject(backend, 'no-storage', `no origin private file system to keep ${formatBytes(variant.totalBytes)} of weights`);
  const stored = options.storedBytes?.[backend] ?? 0;
  const needed = Math.max(0, variant.totalBytes - stored);
  if (needed === 0) return { ok: true, notes: ['weights already stored on this device'] };
  if (storage.estimate) {
    const free = storage.estimate.quotaBytes - storage.estimate.usageBytes;
    if (needed > free) {
      return reject(backend, 'quota', `it must store ${formatBytes(needed)} more; the browser grants ${formatBytes(Math.max(0, free))}`);
    }
  }
  return { ok: true, notes: [`${formatBytes(needed)} to download once, then kept offline`] };
}

function judge(backend: Backend, model: ModelRequirements, caps: CapabilityReport, options: ChooseBackendOptions): Verdict {
  if (options.allow && !options.allow.includes(backend)) return reject(backend, 'not-allowed', 'excluded by the caller');
  const variant = model.variants[backend];
  if (!variant) return reject(backend, 'no-variant', `${model.modelId} ships no ${backend} variant`);
  const unsupported = model.unsupportedOps?.[backend];
  if (unsupported) return reject(backend, 'unsupported-ops', unsupported);
  const device = backend === 'wasm' ? judgeWasm(variant, caps, options) : judgeWebGPU(backend, variant, caps);
  if (!device.ok) return device;
  const store = judgeStorage(backend, variant, caps, options);
  if (!store.ok) return store;
  return { ok: true, notes: [...device.notes, ...store.notes] };
}

/**
 * Picks how to run a model on this device: `webgpu-f16` when the adapter has
 * `shader-f16`, else `webgpu-f32` with fp32 weights, else `wasm`, else
 * `none`, and says why in words people can act on.
 *
 * A software (fallback) adapter is reported as such and not preferred over
 * WASM unless `allowFallbackAdapter` is set; it is still used when nothing
 * else can run the model. Pure and synchronous: the same inputs give the same
 * choice.
 */
export function chooseBackend(caps: CapabilityReport, model: ModelRequirements, options: ChooseBackendOptions = {}): BackendChoice {
  const rejected: BackendRejection[] = [];
  let softwareCandidate: { backend: Backend; notes: string[] } | null = null;
  const isFallback = caps.webgpu.available && caps.webgpu.adapter.isFallbackAdapter;
  for (const backend of BACKENDS) {
    const verdict = judge(backend, model, caps, options);
    if (!verdict.ok) {
      rejected.push(verdict.rejection);
      continue;
    }
    const onSoftwareGPU = backend !== 'wasm' && isFallback;
    if (onSoftwareGPU && !options.allowFallbackAdapter) {
      softwareCandidate ??= { backend, notes: verdict.notes };
      rejected.push({
        backend,
        code: 'fallback-adapter',
        reason: 'the WebGPU adapter is a software fallback (CPU emulation), slower than WASM; not preferred',
      });
      continue;
    }
    const reasons = onSoftwareGPU ? ['the WebGPU adapter is a software fallback: allowed by the caller', ...verdict.notes] : verdict.notes;
    return { backend, reasons, rejected, variant: model.variants[backend] ?? null };
  }
  if (softwareCandidate) {
    const { backend, notes } = softwareCandidate;
    return {
      backend,
      reasons: ['only the software WebGPU adapter can run this model here', ...notes],
      rejected: rejected.filter((r) => r.backend !== backend),
      variant: model.variants[backend] ?? null,
    };
  }
  return {
    backend: 'none',
    reasons: rejected.map((r) => `${r.backend}: ${r.reason}`),
    rejected,
    variant: null,
  };
}
