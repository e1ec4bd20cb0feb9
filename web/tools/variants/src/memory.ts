/** Samples the process's memory while work runs, for peak figures. */

/** Peaks seen during a run, in bytes (RSS includes the ~50 MB Node baseline). */
export interface MemoryPeaks {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** ArrayBuffers and Buffers outside the JS heap: where streamed chunks live. */
  readonly arrayBuffersBytes: number;
  /** The same at the start, for the growth. */
  readonly baseline: { readonly rssBytes: number; readonly heapUsedBytes: number; readonly arrayBuffersBytes: number };
}

/** Runs `work` while sampling `process.memoryUsage()` every `everyMs`. */
export async function withMemoryPeaks<T>(work: () => Promise<T>, everyMs = 10): Promise<{ value: T; peaks: MemoryPeaks; ms: number }> {
  globalThis.gc?.();
  const start = process.memoryUsage();
  const peak = { rssBytes: start.rss, heapUsedBytes: start.heapUsed, arrayBuffersBytes: start.arrayBuffers };
  const sample = () => {
    const m = process.memoryUsage();
    peak.rssBytes = Math.max(peak.rssBytes, m.rss);
    peak.heapUsedBytes = Math.max(peak.heapUsedBytes, m.heapUsed);
    peak.arrayBuffersBytes = Math.max(peak.arrayBuffersBytes, m.arrayBuffers);
  };
  const timer = setInterval(sample, everyMs);
  const t0 = performance.now();
  try {
    const value = await work();
    sample();
    return {
      value,
      ms: performance.now() - t0,
      peaks: { ...peak, baseline: { rssBytes: start.rss, heapUsedBytes: start.heapUsed, arrayBuffersBytes: start.arrayBuffers } },
    };
  } finally {
    clearInterval(timer);
  }
}
