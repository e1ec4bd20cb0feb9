/**
 * The worker side of the protocol: `serveEngine(self)` in a dedicated module
 * worker runs an {@link InPageEngine} and answers {@link ToWorkerMessage}s.
 *
 * ```ts
 * // engine.worker.ts
 * import { serveEngine } from '@hybridgen/core';
 * serveEngine(self as DedicatedWorkerGlobalScope, { runtime: { wasmPaths: { wasm: wasmUrl } } });
 * ```
 */

import { deserializeError, serializeError } from './errors.js';
import { InPageEngine, type InPageEngineOptions } from './in-page-engine.js';
import type { CallMessage, FromWorkerMessage, ToWorkerMessage } from './protocol.js';
import type { EngineCallOptions, EngineProgress } from './types.js';

/** The part of a worker's global scope the host uses. */
export interface WorkerScope {
  postMessage(message: FromWorkerMessage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorkerMessage>) => void): void;
}

/** Serves an engine on `scope` until the worker is terminated. Returns the engine (for in-worker hooks). */
export function serveEngine(scope: WorkerScope, options: Omit<InPageEngineOptions, 'host' | 'onDeviceLost'> = {}): InPageEngine {
  const post = (message: FromWorkerMessage, transfer: Transferable[] = []): void => scope.postMessage(message, transfer);
  const engine = new InPageEngine({
    ...options,
    host: 'worker',
    onDeviceLost: (reason) => post({ type: 'event', event: { kind: 'device-lost', reason } }),
  });
  const controllers = new Map<number, AbortController>();

  const dispatch = (message: CallMessage, call: EngineCallOptions): Promise<unknown> => {
    switch (message.op) {
      case 'load':
        return engine.load(message.payload, call);
      case 'generate':
        return engine.generate(message.payload, call);
      case 'unload':
        return engine.unload(call);
      case 'status':
        return engine.status(call);
      case 'debug':
        return engine.debug(message.payload, call).then(() => null);
    }
  };

  const handleCall = async (message: CallMessage): Promise<void> => {
    const controller = new AbortController();
    controllers.set(message.id, controller);
    const onProgress = (progress: EngineProgress): void => post({ type: 'progress', id: message.id, progress });
    try {
      const payload = await dispatch(message, { signal: controller.signal, onProgress });
      const transfer: Transferable[] = [];
      if (message.op === 'generate') transfer.push((payload as { rgba: Uint8ClampedArray }).rgba.buffer as ArrayBuffer);
      post({ type: 'result', id: message.id, op: message.op, payload } as FromWorkerMessage, transfer);
    } catch (error) {
      post({ type: 'error', id: message.id, error: serializeError(error) });
    } finally {
      controllers.delete(message.id);
    }
  };

  scope.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type === 'cancel') {
      controllers.get(message.id)?.abort(deserializeError(message.reason));
      return;
    }
    void handleCall(message);
  });
  post({ type: 'ready' });
  return engine;
}
