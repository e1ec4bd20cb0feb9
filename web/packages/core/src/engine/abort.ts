/**
 * AbortSignal habits borrowed from p-queue: check before work, reject with
 * the signal's reason wrapped in {@link EngineAbortedError}, and always remove
 * listeners in `finally`.
 */

import { EngineAbortedError } from './errors.js';

/** Throws {@link EngineAbortedError} when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new EngineAbortedError(signal.reason);
}

/**
 * Races `work` against `signal`: rejects with {@link EngineAbortedError} as
 * soon as the signal fires (the work itself goes on; callers check the
 * signal between steps). The listener is removed whatever happens.
 */
export async function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  throwIfAborted(signal);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new EngineAbortedError(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** True when `error` is the engine's abort error or a DOM `AbortError`. */
export function isAbortError(error: unknown): boolean {
  return error instanceof EngineAbortedError || (error instanceof Error && error.name === 'AbortError');
}
