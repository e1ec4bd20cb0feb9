// The model store's download worker for the test pages (as apps/canvas has one).
import { type RpcScope, serveModelDownloads } from '@hybridgen/core';

serveModelDownloads(self as unknown as RpcScope, {
  createHashWorker: () => new Worker(new URL('./hash.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-hash' }),
});
