// The one retry loop of a file download: each attempt gets its own abort
// controller tied to the caller's signal and a stall timer; network-level
// failures back off and retry, a server that never answered gives up early,
// anything else (or the caller's abort) ends the loop.

import { DownloadError, ModelStoreError } from './errors.js';

/** A network-level failure worth retrying. */
export class RetriableError extends Error {
  override readonly name = 'RetriableError';
}

/** `fetch` itself failed: no HTTP answer at all (connection refused, offline, no route). */
export class NoAnswerError extends RetriableError {}

/**
 * Tries without any answer from the server before a download gives up: a server that never
 * answered is unreachable, not flaky, and the caller should fall back at once rather than after
 * the full back-off.
 */
export const UNREACHABLE_ATTEMPTS = 2;

/** One attempt's handle: its signal (aborted by the caller's signal or a stall) and the stall timer. */
export interface Attempt {
  readonly signal: AbortSignal;
  /** Restarts the stall timer: call it whenever bytes arrive. */
  armStall(): void;
}

/** What an attempt says: the file is complete, or start another attempt at once (no failure counted). */
export type AttemptOutcome = 'done' | 'again';

/** Options of {@link retrying}. */
export interface RetryingOptions {
  readonly path: string;
  readonly signal: AbortSignal;
  readonly maxRetries: number;
  readonly stallTimeoutMs: number;
  /** Before the back-off sleep of a failed attempt (save a checkpoint). */
  readonly onFailure: () => void;
  /** When the caller's signal fired during an attempt, before its reason is thrown (save a checkpoint). */
  readonly onAbort: () => Promise<void>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function startAttempt(signal: AbortSignal, stallTimeoutMs: number): Attempt & { end(): void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let stall: ReturnType<typeof setTimeout> | undefined;
  return {
    signal: controller.signal,
    armStall() {
      clearTimeout(stall);
      stall = setTimeout(() => controller.abort(new RetriableError(`no bytes for ${stallTimeoutMs} ms`)), stallTimeoutMs);
    },
    end() {
      clearTimeout(stall);
      signal.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Runs `attempt` until it says `done`. Throws the caller's abort reason, a
 * non-retriable error as is, or a {@link DownloadError} after too many
 * network failures (at once, `unreachable`, when no attempt ever got an answer).
 */
export async function retrying(attempt: (a: Attempt) => Promise<AttemptOutcome>, options: RetryingOptions): Promise<void> {
  const { signal } = options;
  let failures = 0;
  let answered = false;
  for (;;) {
    signal.throwIfAborted();
    const current = startAttempt(signal, options.stallTimeoutMs);
    try {
      if ((await attempt(current)) === 'done') return;
      answered = true;
    } catch (error) {
      if (signal.aborted) {
        await options.onAbort();
        throw signal.reason;
      }
      const retriable = error instanceof RetriableError || (current.signal.aborted && current.signal.reason instanceof RetriableError);
      if (!retriable || error instanceof ModelStoreError) throw error;
      answered ||= !(error instanceof NoAnswerError);
      failures++;
      if (!answered && failures >= UNREACHABLE_ATTEMPTS) throw new DownloadError(options.path, 0, 'the model server cannot be reached', { unreachable: true });
      if (failures > options.maxRetries) throw new DownloadError(options.path, 0, `gave up after ${failures} network failures: ${(error as Error).message}`);
      options.onFailure();
      await sleep(Math.min(3000, 100 * 2 ** (failures - 1)), signal);
    } finally {
      current.end();
    }
  }
}
