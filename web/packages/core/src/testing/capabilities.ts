// Capability reports for unit tests (not part of the package: excluded from the build).

import type { CapabilityReport, WebGPUAdapterInfo, WebGPUAvailable, WebGPULimits, WebGPUUnavailable } from '../capabilities/types.js';
import { GiB } from '../util/bytes.js';

/** What {@link fakeWebGPU} varies. */
export interface FakeWebGPUOptions {
  readonly f16?: boolean;
  readonly fallback?: boolean;
  /** maxBufferSize and maxStorageBufferBindingSize (default 2 GiB). */
  readonly maxBuffer?: number;
  readonly adapter?: Partial<WebGPUAdapterInfo>;
  readonly limits?: Partial<WebGPULimits>;
}

/** A hardware adapter (an NVIDIA Hopper) unless told otherwise. */
export function fakeWebGPU(options: FakeWebGPUOptions = {}): WebGPUAvailable {
  const maxBuffer = options.maxBuffer ?? 2 * GiB;
  return {
    available: true,
    adapter: { vendor: 'nvidia', architecture: 'hopper', description: '', device: '', isFallbackAdapter: options.fallback ?? false, ...options.adapter },
    features: options.f16 ? ['shader-f16'] : [],
    shaderF16: options.f16 ?? false,
    limits: {
      maxBufferSize: maxBuffer,
      maxStorageBufferBindingSize: maxBuffer,
      maxComputeWorkgroupStorageSize: 32768,
      maxComputeInvocationsPerWorkgroup: 1024,
      ...options.limits,
    },
  };
}

/** WebGPU present but with no adapter. */
export const NO_ADAPTER: WebGPUUnavailable = { available: false, reason: 'no-adapter', message: 'no adapter' };

/**
 * A capable, cross-origin-isolated window: WebGPU with shader-f16, WASM with SIMD and threads,
 * OPFS with 100 GB of quota, 8 cores and 8 GiB. `over` replaces whole parts.
 */
export function fakeCapabilities(over: Partial<CapabilityReport> = {}): CapabilityReport {
  return {
    webgpu: fakeWebGPU({ f16: true }),
    wasm: { supported: true, simd: true, threads: true, crossOriginIsolated: true, sharedArrayBuffer: true, memory64: false },
    storage: { opfs: true, estimate: { quotaBytes: 100e9, usageBytes: 0 }, persisted: false },
    device: { deviceMemoryGiB: 8, hardwareConcurrency: 8, onLine: true, userAgent: 'test' },
    context: 'window',
    secureContext: true,
    timedOut: [],
    durationMs: 1,
    ...over,
  };
}
