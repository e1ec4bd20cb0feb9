/**
 * `rpc/`: the one way hybridgen talks to its workers (see CONTEXT.md), the
 * one error serialisation and the one abort convention.
 */

export { isAbortError, raceAbort, throwIfAborted } from './abort.js';
export type { RpcCallOptions, RpcClientOptions, RpcWorker } from './client.js';
export { createRpcClient, RpcClient } from './client.js';
export type { ErrorClass, SerializedError } from './errors.js';
export { CallTimeoutError, registerErrors, reviveError, serializeError, WorkerCrashedError } from './errors.js';
export type { RpcApi, RpcFromWorker, RpcOp, RpcProgress, RpcToWorker } from './protocol.js';
export type { RpcCallContext, RpcHandlers, RpcScope, RpcServer, ServeRpcOptions } from './server.js';
export { serveRpc, withTransfer } from './server.js';
