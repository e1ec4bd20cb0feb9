/**
 * The engine worker's API over the rpc module: what {@link createWorkerEngine}
 * (the page) may call and {@link serveEngine} (the worker) answers, plus the
 * events the worker sends outside any call. Types only.
 */

import type {
  EngineDebugAction,
  EngineGenerateRequest,
  EngineLoadRequest,
  EngineLoadResult,
  EngineProgress,
  EngineStatus,
  EngineUnloadResult,
  GeneratedImage,
} from '../types.js';

/** The engine worker's operations: payload, result and progress of each. */
export type EngineApi = {
  load: { request: EngineLoadRequest; result: EngineLoadResult; progress: EngineProgress };
  generate: { request: EngineGenerateRequest; result: GeneratedImage; progress: EngineProgress };
  unload: { request: Record<string, never>; result: EngineUnloadResult };
  status: { request: Record<string, never>; result: EngineStatus };
  debug: { request: EngineDebugAction; result: null };
};

/** An operation name. */
export type EngineOperation = keyof EngineApi;

/** Worker -> page, outside any call: the GPU device was lost. */
export interface EngineEvent {
  readonly kind: 'device-lost';
  readonly reason: string;
}
