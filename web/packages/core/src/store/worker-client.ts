// Runs a DownloadJob in a fresh download worker through the rpc module.

import { createRpcClient, type RpcWorker } from '../rpc/client.js';
import { STORE_ERRORS } from './errors.js';
import type { DownloadProgress } from './events.js';
import type { DownloadApi, DownloadJob } from './protocol.js';

/** Makes the store's download worker: a module calling `serveModelDownloads(self, ...)`, created by the app. */
export type WorkerFactory = () => RpcWorker;

/** Options of {@link runInWorker}. */
export interface RunInWorkerOptions {
  readonly requestId: string;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress: (event: DownloadProgress) => void;
  /** How long the worker may take to stop (saving its checkpoint) after an abort before it is terminated. */
  readonly abortGraceMs: number;
  /** The worker is deemed hung (`CallTimeoutError`) after this long without a message. */
  readonly inactivityTimeoutMs: number;
}

/**
 * Runs `job` in a new worker. Resolves when every file is verified; rejects
 * with the worker's error (class kept), or the signal's reason after the
 * worker has saved its checkpoint (or `abortGraceMs` passed).
 */
export async function runInWorker(factory: WorkerFactory, job: DownloadJob, options: RunInWorkerOptions): Promise<void> {
  const rpc = createRpcClient<DownloadApi>({ name: 'the model store worker', createWorker: factory, errors: STORE_ERRORS });
  try {
    await rpc.call(
      'download',
      { job, requestId: options.requestId },
      { signal: options.signal, onProgress: options.onProgress, abortGraceMs: options.abortGraceMs, idleTimeoutMs: options.inactivityTimeoutMs },
    );
  } finally {
    rpc.dispose();
  }
}
