/**
 * The page side of the engine: a {@link LocalEngine} whose work runs in a
 * dedicated module worker, through the rpc module's client (request ids,
 * AbortSignal, per-operation timeouts, progress). A dying worker rejects
 * every pending call with {@link WorkerCrashedError} and the next call
 * starts a new worker, reloading the last model first.
 */

import { createRpcClient, type RpcClient, type RpcWorker } from '../../rpc/client.js';
import { WorkerCrashedError } from '../../rpc/errors.js';
import { ENGINE_ERRORS } from '../errors.js';
import type {
  EngineCallOptions,
  EngineDebugAction,
  EngineGenerateRequest,
  EngineLoadRequest,
  EngineLoadResult,
  EngineRecovery,
  EngineStatus,
  EngineUnloadResult,
  GeneratedImage,
  LocalEngine,
} from '../types.js';
import type { EngineApi, EngineEvent, EngineOperation } from './protocol.js';

/** Default timeouts per operation, in milliseconds. */
export const DEFAULT_TIMEOUTS: Readonly<Record<EngineOperation, number>> = {
  load: 15 * 60_000,
  generate: 5 * 60_000,
  unload: 60_000,
  status: 15_000,
  debug: 30_000,
};

/** Options of {@link createWorkerEngine}. */
export interface WorkerEngineOptions {
  /** Creates the worker, e.g. `() => new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' })`. */
  readonly createWorker: () => RpcWorker;
  /** Per-operation default timeouts (merged over {@link DEFAULT_TIMEOUTS}). */
  readonly timeouts?: Partial<Record<EngineOperation, number>>;
  /** Told when the worker reports a lost GPU device outside a call. */
  readonly onDeviceLost?: (reason: string) => void;
}

/** A {@link LocalEngine} that runs in a dedicated Web Worker. */
export class WorkerEngine implements LocalEngine {
  private readonly rpc: RpcClient<EngineApi, EngineEvent>;
  private lastLoad: EngineLoadRequest | null = null;
  private needsReload = false;
  /** Why the last worker died, while its model is not reloaded yet. */
  private crashReason: string | null = null;
  private lastBackend: EngineLoadResult['backend'] | null = null;

  constructor(options: WorkerEngineOptions) {
    this.rpc = createRpcClient<EngineApi, EngineEvent>({
      name: 'the engine worker',
      createWorker: options.createWorker,
      timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
      // A call that overran its timeout may be stuck in the GPU: start afresh rather than queue behind it.
      restartOnTimeout: true,
      errors: ENGINE_ERRORS,
      onEvent: (event) => options.onDeviceLost?.(event.reason),
      onCrash: (error) => {
        if (!this.lastLoad) return;
        this.needsReload = true;
        this.crashReason = error.message;
      },
    });
  }

  async load(request: EngineLoadRequest, options: EngineCallOptions = {}): Promise<EngineLoadResult> {
    const result = await this.rpc.call('load', request, options);
    this.lastLoad = request;
    this.lastBackend = result.backend;
    this.needsReload = false;
    this.crashReason = null;
    return result;
  }

  async generate(request: EngineGenerateRequest, options: EngineCallOptions = {}): Promise<GeneratedImage> {
    let recovery: EngineRecovery | null = null;
    if (this.needsReload && this.lastLoad) {
      // A new worker: load the last model again (the run that follows warms the shaders).
      const result = await this.rpc.call('load', { ...this.lastLoad, warmUp: false }, options);
      recovery = {
        kind: 'worker-restarted',
        from: this.lastBackend ?? result.backend,
        to: result.backend,
        reason: this.crashReason ?? 'the worker was restarted',
      };
      this.lastBackend = result.backend;
      this.needsReload = false;
      this.crashReason = null;
    }
    const image = await this.rpc.call('generate', request, options);
    return recovery ? { ...image, reloaded: true, recovery } : image;
  }

  unload(options: EngineCallOptions = {}): Promise<EngineUnloadResult> {
    if (!this.rpc.running) return Promise.resolve({ releasedSessions: 0 });
    return this.rpc.call('unload', {}, options);
  }

  async status(options: EngineCallOptions = {}): Promise<EngineStatus> {
    const status = await this.rpc.call('status', {}, options);
    return this.needsReload ? { ...status, canReload: this.lastLoad !== null } : status;
  }

  async debug(action: EngineDebugAction, options: EngineCallOptions = {}): Promise<void> {
    await this.rpc.call('debug', action, options);
  }

  dispose(): void {
    this.rpc.dispose();
  }

  /** Terminates the worker as if it had died (tests: what a crashed worker looks like to callers). */
  terminateWorker(reason = 'the worker was terminated'): void {
    this.rpc.terminate(new WorkerCrashedError(reason));
  }
}

/** Creates the default engine: inference in a dedicated module worker, never on the page's thread. */
export function createWorkerEngine(options: WorkerEngineOptions): WorkerEngine {
  return new WorkerEngine(options);
}
