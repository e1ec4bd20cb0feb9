/** Download speed over a sliding window, for progress events. */
export class RateMeter {
  readonly #windowMs: number;
  readonly #samples: { t: number; bytes: number }[] = [];

  constructor(windowMs = 2000) {
    this.#windowMs = windowMs;
  }

  /** Records that `totalBytes` (a running total) had arrived at time `t` (ms). */
  add(t: number, totalBytes: number): void {
    this.#samples.push({ t, bytes: totalBytes });
    while (this.#samples.length > 2 && (this.#samples[0]?.t ?? t) < t - this.#windowMs) this.#samples.shift();
  }

  /** Bytes per second over the window; 0 until two samples 50 ms apart exist. */
  bytesPerSecond(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.t - first.t < 50) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.t - first.t);
  }
}
