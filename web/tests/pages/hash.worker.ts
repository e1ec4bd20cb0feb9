// The download's hash worker for the test pages (as apps/canvas has one).
import { type RpcScope, serveHasher } from '@hybridgen/core';

serveHasher(self as unknown as RpcScope);
