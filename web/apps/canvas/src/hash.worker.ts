// SHA-256 (and git's blob SHA-1) of a download on another core, beside the download worker.
import { type RpcScope, serveHasher } from '@hybridgen/core';

serveHasher(self as unknown as RpcScope);
