import { memory64, simd, threads } from 'wasm-feature-detect';
import { settleWithin } from './timeout.js';
import type { WasmReport } from './types.js';

/** Options of {@link probeWasm}. */
export interface ProbeWasmOptions {
  /** Milliseconds each feature check may take. */
  readonly timeoutMs: number;
}

async function check(feature: () => Promise<boolean>, timeoutMs: number, timedOut: string[], name: string): Promise<boolean> {
  const result = await settleWithin(feature, timeoutMs);
  if (!result.ok && result.reason === 'timeout') timedOut.push(name);
  return result.ok && result.value;
}

/**
 * Checks WebAssembly SIMD, threads and Memory64. Threads count only when the
 * page can really use them: shared memory validates, `SharedArrayBuffer` exists
 * and the context is cross-origin isolated. Never throws.
 */
export async function probeWasm(options: ProbeWasmOptions, timedOut: string[] = []): Promise<WasmReport> {
  const supported = typeof WebAssembly === 'object' && typeof WebAssembly.validate === 'function';
  const crossOriginIsolated = globalThis.crossOriginIsolated === true;
  const sharedArrayBuffer = typeof SharedArrayBuffer === 'function';
  if (!supported) {
    return { supported, simd: false, threads: false, crossOriginIsolated, sharedArrayBuffer, memory64: false };
  }
  const [hasSimd, hasThreads, hasMemory64] = await Promise.all([
    check(simd, options.timeoutMs, timedOut, 'wasm.simd'),
    check(threads, options.timeoutMs, timedOut, 'wasm.threads'),
    check(memory64, options.timeoutMs, timedOut, 'wasm.memory64'),
  ]);
  return {
    supported,
    simd: hasSimd,
    threads: hasThreads && sharedArrayBuffer && crossOriginIsolated,
    crossOriginIsolated,
    sharedArrayBuffer,
    memory64: hasMemory64,
  };
}
