/**
 * Worker entry of the download hasher (`@hybridgen/core/workers/hash`): SHA-256 and git's
 * blob SHA-1 of a download. The download worker starts it itself; apps rarely need it.
 *
 * @packageDocumentation
 */

import { type RpcScope, serveHasher } from '../index.js';

serveHasher(self as unknown as RpcScope);
