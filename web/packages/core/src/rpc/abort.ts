/**
 * The one abort convention of hybridgen: work that a signal stops rejects
 * with `signal.reason` itself (what `AbortSignal.throwIfAborted()` throws),
 * never with a wrapper; callers recognise it with {@link isAbortError}.
 * Listeners are always removed in `finally` (p-queue's habits).
 */

/** Throws `signal.reason` when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}

/**
 * Races `work` against `signal`: rejects with `signal.reason` as soon as the
 * signal fires (the work itself goes on; callers check the signal between
 * steps). The listener is removed whatever happens.
 */
export async function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Whether `error` is an abort: the reason of `signal` (when given and fired,
 * whatever that reason is), or any error named `AbortError` (a DOM abort, or
 * one revived from a worker).
 */
export function isAbortError(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted && error === signal.reason) return true;
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}
