/**
 * The worker side of the rpc module: `serveRpc(self, handlers)` answers the
 * calls a {@link createRpcClient} sends. Each call gets its own AbortSignal
 * (fired with the caller's reason on `cancel`), a `progress` reporter, and
 * its result or error sent back (errors through {@link serializeError}).
 */

import { type ErrorClass, registerErrors, reviveError, serializeError } from './errors.js';
import type { RpcApi, RpcFromWorker, RpcOp, RpcProgress, RpcToWorker } from './protocol.js';

/** What {@link serveRpc} needs of a worker's global scope (a `DedicatedWorkerGlobalScope`, Node's `parentPort`). */
export interface RpcScope {
  postMessage(message: RpcFromWorker, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<RpcToWorker>) => void): void;
}

/** What a handler gets besides its payload. */
export interface RpcCallContext<Progress> {
  /** Fires (with the caller's reason) when the caller aborts or its call times out. */
  readonly signal: AbortSignal;
  /** Sends a progress report; `transfer` moves buffers instead of copying them. */
  progress(progress: Progress, transfer?: Transferable[]): void;
}

/** One handler per operation of `Api`. */
export type RpcHandlers<Api extends RpcApi> = {
  readonly [Op in RpcOp<Api>]: (payload: Api[Op]['request'], context: RpcCallContext<RpcProgress<Api, Op>>) => Api[Op]['result'] | Promise<Api[Op]['result']>;
};

/** Options of {@link serveRpc}. */
export interface ServeRpcOptions {
  /** Error classes callers may send as abort reasons (the rpc module's own are always known). */
  readonly errors?: Readonly<Record<string, ErrorClass>>;
  /** Run calls one at a time, in arrival order (a stateful worker such as the hasher). Default false. */
  readonly serial?: boolean;
}

/** What {@link serveRpc} returns to the worker's code. */
export interface RpcServer<Event> {
  /** Sends an event outside any call (the client's `onEvent`). */
  emit(event: Event, transfer?: Transferable[]): void;
}

const transfers = new WeakMap<object, Transferable[]>();

/** Marks `value` (a handler's result) to be sent with `transfer` moved, not copied. Returns `value`. */
export function withTransfer<T extends object>(value: T, transfer: Transferable[]): T {
  transfers.set(value, transfer);
  return value;
}

/** Serves `handlers` on `scope` until the worker ends. */
export function serveRpc<Api extends RpcApi, Event = never>(scope: RpcScope, handlers: RpcHandlers<Api>, options: ServeRpcOptions = {}): RpcServer<Event> {
  if (options.errors) registerErrors(options.errors);
  const post = (message: RpcFromWorker, transfer: Transferable[] = []): void => scope.postMessage(message, transfer);
  const running = new Map<number, AbortController>();
  let queue: Promise<void> = Promise.resolve();

  const run = async (id: number, op: string, payload: unknown, controller: AbortController): Promise<void> => {
    try {
      const handler = handlers[op as RpcOp<Api>] as ((p: unknown, c: RpcCallContext<unknown>) => unknown) | undefined;
      if (!handler) throw new TypeError(`this worker serves no operation named ${op}`);
      controller.signal.throwIfAborted();
      const context: RpcCallContext<unknown> = {
        signal: controller.signal,
        progress: (progress, transfer) => post({ rpc: 'progress', id, progress }, transfer),
      };
      const result = await handler(payload, context);
      post({ rpc: 'result', id, result }, (typeof result === 'object' && result !== null && transfers.get(result)) || []);
    } catch (error) {
      post({ rpc: 'error', id, error: serializeError(error) });
    } finally {
      running.delete(id);
    }
  };

  scope.addEventListener('message', (event) => {
    const message = event.data;
    if (message.rpc === 'cancel') {
      running.get(message.id)?.abort(reviveError(message.reason));
      return;
    }
    const controller = new AbortController();
    running.set(message.id, controller);
    if (options.serial) queue = queue.then(() => run(message.id, message.op, message.payload, controller));
    else void run(message.id, message.op, message.payload, controller);
  });
  return { emit: (event, transfer) => post({ rpc: 'event', event }, transfer) };
}
