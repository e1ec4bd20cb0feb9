// Runs a DownloadJob in a fresh dedicated worker and relays its replies.

import { reviveError, serializeError, WorkerFailedError } from './errors.js';
import type { DownloadProgress } from './events.js';
import type { DownloadJob, WorkerReply, WorkerRequest } from './protocol.js';

/** Makes the store's worker; the default one is bundled with the package. */
export type WorkerFactory = () => Worker;

/** The default worker (Vite and other bundlers understand this `new URL` form). */
export const defaultWorkerFactory: WorkerFactory = () =>
  new Worker(new URL('./download.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-model-store' });

/** Options of {@link runInWorker}. */
export interface RunInWorkerOptions {
  readonly requestId: string;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress: (event: DownloadProgress) => void;
  /** How long the worker may take to stop after an abort before it is terminated. */
  readonly abortGraceMs: number;
  /** The worker is deemed hung (WorkerFailedError) after this long without a message. */
  readonly inactivityTimeoutMs: number;
}

/**
 * Runs `job` in a new worker. Resolves when every file is verified; rejects
 * with the worker's error (class kept), or the signal's reason after the
 * worker has saved its checkpoint (or `abortGraceMs` passed).
 */
export function runInWorker(factory: WorkerFactory, job: DownloadJob, options: RunInWorkerOptions): Promise<void> {
  const { requestId, signal } = options;
  signal?.throwIfAborted();
  const worker = factory();
  return new Promise<void>((resolve, reject) => {
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const armIdle = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(
        () => finish(new WorkerFailedError(`the model store worker sent nothing for ${options.inactivityTimeoutMs} ms`)),
        options.inactivityTimeoutMs,
      );
    };
    const finish = (error?: unknown): void => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(graceTimer);
      clearTimeout(idleTimer);
      worker.terminate();
      if (error === undefined) resolve();
      else reject(error);
    };
    const onAbort = (): void => {
      const message: WorkerRequest = { type: 'abort', requestId, reason: serializeError(signal?.reason) };
      worker.postMessage(message);
      graceTimer = setTimeout(() => finish(signal?.reason), options.abortGraceMs);
    };
    worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      if (reply.requestId !== requestId) return;
      armIdle();
      if (reply.type === 'progress') options.onProgress(reply.event);
      else if (reply.type === 'done') finish();
      else finish(signal?.aborted ? signal.reason : reviveError(reply.error));
    };
    worker.onerror = (event) => finish(new WorkerFailedError(`the model store worker failed: ${event.message || 'could not start'}`));
    worker.onmessageerror = () => finish(new WorkerFailedError('the model store worker sent a message that could not be read'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const message: WorkerRequest = { type: 'download', requestId, job };
    worker.postMessage(message);
    armIdle();
  });
}
