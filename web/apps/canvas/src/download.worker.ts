// The model store's download worker: fetches, hashes (in its own hash worker) and writes
// model files into OPFS with synchronous access handles.
import { type RpcScope, serveModelDownloads } from '@hybridgen/core';

serveModelDownloads(self as unknown as RpcScope, {
  createHashWorker: () => new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-hash' }),
});
