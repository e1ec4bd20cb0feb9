// The model store's download worker, served over the rpc module: fetches,
// hashes and writes model files to OPFS with synchronous access handles.
// The app's worker module calls serveModelDownloads(self, { createHashWorker }).

import type { RpcWorker } from '../rpc/client.js';
import { type RpcScope, serveRpc } from '../rpc/server.js';
import { runDownloadJob } from './download-job.js';
import { STORE_ERRORS } from './errors.js';
import { createStreamingHasher } from './hash-pipeline.js';
import type { DownloadApi } from './protocol.js';

/** Options of {@link serveModelDownloads}. */
export interface ModelDownloadsOptions {
  /**
   * Creates the hash worker (a module calling `serveHasher(self)`), so hashing overlaps the
   * fetch on another core. Without it, or where nested workers cannot start, hashing is inline.
   */
  readonly createHashWorker?: () => RpcWorker;
}

/** Runs in the download worker: answers {@link DownloadApi} calls. */
export function serveModelDownloads(scope: RpcScope, options: ModelDownloadsOptions = {}): void {
  const createHasher = () => createStreamingHasher({ createWorker: options.createHashWorker });
  serveRpc<DownloadApi>(
    scope,
    {
      download: async ({ job, requestId }, { signal, progress }) => {
        await runDownloadJob(job, requestId, { signal, post: (p) => progress(p), createHasher });
        return null;
      },
    },
    { errors: STORE_ERRORS },
  );
}
