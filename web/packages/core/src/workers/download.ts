/**
 * Worker entry of the model store's downloads (`@hybridgen/core/workers/download`): fetches
 * and writes model files into OPFS, hashing in a nested worker (`./hash.ts`) on another core.
 * The URL names the TypeScript source; the package build rewrites it to `./hash.js` in `dist`.
 *
 * @packageDocumentation
 */

import { type RpcScope, serveModelDownloads } from '../index.js';

serveModelDownloads(self as unknown as RpcScope, {
  createHashWorker: () => new Worker(new URL('./hash.ts', import.meta.url), { type: 'module', name: 'hybridgen-hash' }),
});
