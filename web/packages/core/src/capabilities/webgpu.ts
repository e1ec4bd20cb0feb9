import { settleWithin } from './timeout.js';
import type { WebGPUAdapterInfo, WebGPULimits, WebGPUReport } from './types.js';

/** Options of {@link probeWebGPU}. */
export interface ProbeWebGPUOptions {
  /** Milliseconds `requestAdapter()` may take. */
  readonly timeoutMs: number;
  /** Passed to `requestAdapter()`; defaults to `'high-performance'`. */
  readonly powerPreference?: GPUPowerPreference;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function readInfo(adapter: GPUAdapter): WebGPUAdapterInfo {
  // `adapter.info` replaced the deprecated `requestAdapterInfo()`; older
  // browsers exposed `isFallbackAdapter` on the adapter itself.
  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const legacyFallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    description: info?.description ?? '',
    device: info?.device ?? '',
    isFallbackAdapter: Boolean((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? legacyFallback),
  };
}

function readLimits(limits: GPUSupportedLimits): WebGPULimits {
  return {
    maxBufferSize: limits.maxBufferSize,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
  };
}

/**
 * Finds out whether WebGPU is usable and what the adapter offers. Never
 * throws; an unusable WebGPU comes back as `{ available: false, reason }`.
 */
export async function probeWebGPU(options: ProbeWebGPUOptions): Promise<WebGPUReport> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    if (globalThis.isSecureContext === false) {
      return {
        available: false,
        reason: 'insecure-context',
        message: 'WebGPU needs a secure context (https or localhost); this page is not one.',
      };
    }
    return { available: false, reason: 'no-navigator-gpu', message: 'This browser does not expose WebGPU (navigator.gpu is missing).' };
  }
  const request = await settleWithin(() => gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' }), options.timeoutMs);
  if (!request.ok) {
    return request.reason === 'timeout'
      ? { available: false, reason: 'timeout', message: `requestAdapter() did not answer within ${options.timeoutMs} ms.` }
      : { available: false, reason: 'request-adapter-failed', message: `requestAdapter() threw ${errorMessage(request.error)}.` };
  }
  const adapter = request.value;
  if (!adapter) {
    return { available: false, reason: 'no-adapter', message: 'requestAdapter() returned no adapter (GPU blocklisted, no driver, or WebGPU disabled).' };
  }
  const features = [...adapter.features].map(String).sort();
  return {
    available: true,
    adapter: readInfo(adapter),
    features,
    shaderF16: adapter.features.has('shader-f16'),
    limits: readLimits(adapter.limits),
  };
}
