/**
 * The worker side of the engine: `serveEngine(self)` in a dedicated module
 * worker runs an {@link InPageEngine} behind the rpc module's
 * {@link serveRpc}.
 *
 * ```ts
 * // engine.worker.ts
 * import { serveEngine } from '@hybridgen/core';
 * serveEngine(self as DedicatedWorkerGlobalScope, { runtime: { wasmPaths: { wasm: wasmUrl } } });
 * ```
 */

import { type RpcScope, serveRpc, withTransfer } from '../../rpc/server.js';
import { ENGINE_ERRORS } from '../errors.js';
import { InPageEngine, type InPageEngineOptions } from '../runtime/in-page-engine.js';
import type { EngineApi, EngineEvent } from './protocol.js';

/** The part of a worker's global scope the host uses. */
export type WorkerScope = RpcScope;

/** Serves an engine on `scope` until the worker is terminated. Returns the engine (for in-worker hooks). */
export function serveEngine(scope: WorkerScope, options: Omit<InPageEngineOptions, 'host' | 'onDeviceLost'> = {}): InPageEngine {
  const engine: InPageEngine = new InPageEngine({
    ...options,
    host: 'worker',
    onDeviceLost: (reason) => server.emit({ kind: 'device-lost', reason }),
  });
  const server = serveRpc<EngineApi, EngineEvent>(
    scope,
    {
      load: (request, { signal, progress }) => engine.load(request, { signal, onProgress: (p) => progress(p) }),
      generate: async (request, { signal, progress }) => {
        const image = await engine.generate(request, { signal, onProgress: (p) => progress(p) });
        return withTransfer(image, [image.rgba.buffer as ArrayBuffer]);
      },
      unload: (_, { signal }) => engine.unload({ signal }),
      status: (_, { signal }) => engine.status({ signal }),
      debug: async (action, { signal }) => {
        await engine.debug(action, { signal });
        return null;
      },
    },
    { errors: ENGINE_ERRORS },
  );
  return engine;
}
