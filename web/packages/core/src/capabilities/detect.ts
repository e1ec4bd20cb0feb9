import { executionContextKind, readDeviceHints } from './device.js';
import { probeStorage } from './storage.js';
import type { CapabilityReport } from './types.js';
import { probeWasm } from './wasm.js';
import { probeWebGPU } from './webgpu.js';

/** Options of {@link detectCapabilities}. */
export interface DetectCapabilitiesOptions {
  /**
   * Milliseconds any single probe may take before it counts as failed. Default 10 000: Firefox's
   * first `requestAdapter()` starts its GPU process, 1.2 s idle and over 3 s on a busy 2-core machine.
   */
  readonly probeTimeoutMs?: number;
  /** Passed to `requestAdapter()`. Default `'high-performance'`. */
  readonly powerPreference?: GPUPowerPreference;
}

/**
 * Finds out what this device can do for local inference: WebGPU (adapter,
 * features, limits, or why it is unavailable), WebAssembly (SIMD, threads,
 * Memory64), storage (OPFS, quota, persistence) and device hints.
 *
 * Works in a window and in any worker. Never throws and never hangs: each
 * probe is bounded by `probeTimeoutMs`, and a probe that times out is listed
 * in `timedOut`. The report is plain serialisable data.
 *
 * @example
 * ```ts
 * const report = await detectCapabilities();
 * if (report.webgpu.available && report.webgpu.shaderF16) { ... }
 * ```
 */
export async function detectCapabilities(options: DetectCapabilitiesOptions = {}): Promise<CapabilityReport> {
  const start = performance.now();
  const timeoutMs = options.probeTimeoutMs ?? 10_000;
  const timedOut: string[] = [];
  const [webgpu, wasm, storage] = await Promise.all([
    probeWebGPU({ timeoutMs, ...(options.powerPreference ? { powerPreference: options.powerPreference } : {}) }),
    probeWasm({ timeoutMs }, timedOut),
    probeStorage({ timeoutMs }, timedOut),
  ]);
  if (!webgpu.available && webgpu.reason === 'timeout') timedOut.push('webgpu.requestAdapter');
  return {
    webgpu,
    wasm,
    storage,
    device: readDeviceHints(),
    context: executionContextKind(),
    secureContext: globalThis.isSecureContext === true,
    timedOut: timedOut.sort(),
    durationMs: Math.round(performance.now() - start),
  };
}
