/**
 * The wire format of every hybridgen worker: what {@link createRpcClient}
 * (the page) and {@link serveRpc} (the worker) exchange. Types only.
 *
 * Page -> worker: `call` (request id, operation, payload) and `cancel` (the
 * caller's signal fired or the call timed out; the reason travels serialised).
 * Worker -> page: per call any number of `progress` messages and exactly one
 * `result` or `error`; `event`s outside any call (a lost GPU device).
 */

import type { SerializedError } from './errors.js';

/**
 * What a worker serves, by operation: each entry names the payload the page
 * sends, the result the worker answers and (optionally) the progress it
 * reports on the way.
 */
export type RpcApi = Record<string, { readonly request: unknown; readonly result: unknown; readonly progress?: unknown }>;

/** The operations of an API. */
export type RpcOp<Api extends RpcApi> = keyof Api & string;

/** The progress type of an operation (`never` when it reports none). */
export type RpcProgress<Api extends RpcApi, Op extends RpcOp<Api>> = Api[Op] extends { readonly progress: infer P } ? P : never;

/** Page -> worker. */
export type RpcToWorker =
  | { readonly rpc: 'call'; readonly id: number; readonly op: string; readonly payload: unknown }
  | { readonly rpc: 'cancel'; readonly id: number; readonly reason: SerializedError };

/** Worker -> page. */
export type RpcFromWorker =
  | { readonly rpc: 'progress'; readonly id: number; readonly progress: unknown }
  | { readonly rpc: 'result'; readonly id: number; readonly result: unknown }
  | { readonly rpc: 'error'; readonly id: number; readonly error: SerializedError }
  | { readonly rpc: 'event'; readonly event: unknown };
