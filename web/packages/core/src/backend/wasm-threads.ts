/**
 * How many WASM threads inference uses by default. Chosen by measurement
 * (BENCHMARKS.md, "The whole WASM path in Chromium, with threads"): on 16
 * cores a full-size draft takes 7.8x less time on 16 threads than on one and
 * 2.3-3.1x less than on 4, and 15 threads are as fast as 16.
 */

/** Most WASM threads the default asks for: the largest count measured. */
export const MAX_DEFAULT_WASM_THREADS = 16;

/**
 * The default WASM thread count on a device with `cores` logical cores, where
 * threads are usable (cross-origin isolated, off a window's main thread): all
 * cores up to 4, all but one above (left to the page and the browser), at most
 * {@link MAX_DEFAULT_WASM_THREADS}. Unknown core count: 1.
 */
export function defaultWasmThreads(cores: number | null | undefined): number {
  if (!cores || !Number.isFinite(cores) || cores < 1) return 1;
  const n = Math.floor(cores);
  return Math.min(MAX_DEFAULT_WASM_THREADS, n > 4 ? n - 1 : n);
}
