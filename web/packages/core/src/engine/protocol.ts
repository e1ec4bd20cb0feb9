/**
 * The worker protocol: every message between {@link createWorkerEngine} (the
 * page) and {@link serveEngine} (the worker). Types only.
 *
 * Page -> worker: `call` (request id, operation, typed payload) and `cancel`
 * (the caller's AbortSignal fired or the call timed out).
 * Worker -> page: `ready` once, then per request any number of `progress`
 * messages and exactly one `result` or `error` (name/message/stack kept), plus
 * unsolicited `event`s (device lost).
 */

import type { SerializedError } from './errors.js';
import type {
  EngineDebugAction,
  EngineGenerateRequest,
  EngineLoadRequest,
  EngineLoadResult,
  EngineProgress,
  EngineStatus,
  EngineUnloadResult,
  GeneratedImage,
} from './types.js';

/** Payloads of the calls, by operation. */
export interface EngineRequests {
  load: EngineLoadRequest;
  generate: EngineGenerateRequest;
  unload: Record<string, never>;
  status: Record<string, never>;
  debug: EngineDebugAction;
}

/** Results of the calls, by operation. */
export interface EngineResults {
  load: EngineLoadResult;
  generate: GeneratedImage;
  unload: EngineUnloadResult;
  status: EngineStatus;
  debug: null;
}

/** An operation name. */
export type EngineOperation = keyof EngineRequests;

/** Page -> worker: run an operation. */
export type CallMessage = {
  [Op in EngineOperation]: { readonly type: 'call'; readonly id: number; readonly op: Op; readonly payload: EngineRequests[Op] };
}[EngineOperation];

/** Page -> worker: stop the call `id` (abort or timeout). */
export interface CancelMessage {
  readonly type: 'cancel';
  readonly id: number;
  readonly reason: SerializedError;
}

/** Everything the page sends. */
export type ToWorkerMessage = CallMessage | CancelMessage;

/** Worker -> page: the worker's script ran and it listens. */
export interface ReadyMessage {
  readonly type: 'ready';
}

/** Worker -> page: progress of call `id`. */
export interface ProgressMessage {
  readonly type: 'progress';
  readonly id: number;
  readonly progress: EngineProgress;
}

/** Worker -> page: call `id` succeeded. */
export type ResultMessage = {
  [Op in EngineOperation]: { readonly type: 'result'; readonly id: number; readonly op: Op; readonly payload: EngineResults[Op] };
}[EngineOperation];

/** Worker -> page: call `id` failed. */
export interface ErrorMessage {
  readonly type: 'error';
  readonly id: number;
  readonly error: SerializedError;
}

/** Worker -> page: something happened outside any call. */
export interface EventMessage {
  readonly type: 'event';
  readonly event: { readonly kind: 'device-lost'; readonly reason: string } | { readonly kind: 'status'; readonly status: EngineStatus };
}

/** Everything the worker sends. */
export type FromWorkerMessage = ReadyMessage | ProgressMessage | ResultMessage | ErrorMessage | EventMessage;
