/**
 * The page side of the protocol: a {@link LocalEngine} whose work runs in a
 * dedicated module worker. Each call carries a request id, its AbortSignal
 * (a `cancel` message when it fires) and a timeout; a dying worker rejects
 * every pending call with {@link WorkerCrashedError} and the next call starts
 * a new worker, reloading the last model first.
 */

import { deserializeError, EngineAbortedError, EngineError, EngineTimeoutError, serializeError, WorkerCrashedError } from './errors.js';
import type { EngineOperation, EngineRequests, EngineResults, FromWorkerMessage, ToWorkerMessage } from './protocol.js';
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
} from './types.js';

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
  readonly createWorker: () => Worker;
  /** Per-operation default timeouts (merged over {@link DEFAULT_TIMEOUTS}). */
  readonly timeouts?: Partial<Record<EngineOperation, number>>;
  /** Told when the worker reports a lost GPU device outside a call. */
  readonly onDeviceLost?: (reason: string) => void;
}

interface Pending {
  readonly op: EngineOperation;
  resolve(value: unknown): void;
  reject(error: Error): void;
  readonly onProgress: EngineCallOptions['onProgress'];
}

/** A {@link LocalEngine} that runs in a dedicated Web Worker. */
export class WorkerEngine implements LocalEngine {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private lastLoad: EngineLoadRequest | null = null;
  private needsReload = false;
  /** Why the last worker died, while its model is not reloaded yet. */
  private crashReason: string | null = null;
  private lastBackend: EngineLoadResult['backend'] | null = null;
  private disposed = false;
  private readonly timeouts: Record<EngineOperation, number>;

  constructor(private readonly options: WorkerEngineOptions) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  }

  async load(request: EngineLoadRequest, options: EngineCallOptions = {}): Promise<EngineLoadResult> {
    const result = await this.call('load', request, options);
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
      const result = await this.call('load', { ...this.lastLoad, warmUp: false }, options);
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
    const image = await this.call('generate', request, options);
    return recovery ? { ...image, reloaded: true, recovery } : image;
  }

  unload(options: EngineCallOptions = {}): Promise<EngineUnloadResult> {
    if (!this.worker) return Promise.resolve({ releasedSessions: 0 });
    return this.call('unload', {}, options);
  }

  async status(options: EngineCallOptions = {}): Promise<EngineStatus> {
    const status = await this.call('status', {}, options);
    return this.needsReload ? { ...status, canReload: this.lastLoad !== null } : status;
  }

  async debug(action: EngineDebugAction, options: EngineCallOptions = {}): Promise<void> {
    await this.call('debug', action, options);
  }

  dispose(): void {
    this.disposed = true;
    this.kill(new EngineError('the engine was disposed'));
  }

  /** Terminates the worker as if it had died (tests: what a crashed worker looks like to callers). */
  terminateWorker(reason = 'the worker was terminated'): void {
    this.kill(new WorkerCrashedError(reason));
  }

  private ensureWorker(): Worker {
    if (this.disposed) throw new EngineError('the engine is disposed');
    if (this.worker) return this.worker;
    const worker = this.options.createWorker();
    worker.addEventListener('message', (event: MessageEvent<FromWorkerMessage>) => this.onMessage(event.data));
    worker.addEventListener('error', (event: ErrorEvent) => {
      event.preventDefault();
      this.kill(
        new WorkerCrashedError(`the engine worker died: ${event.message || 'error event without a message (the script failed to load or the worker crashed)'}`),
      );
    });
    worker.addEventListener('messageerror', () => this.kill(new WorkerCrashedError('the engine worker sent a message that could not be deserialised')));
    this.worker = worker;
    return worker;
  }

  private kill(error: Error): void {
    const worker = this.worker;
    this.worker = null;
    worker?.terminate();
    if (worker && this.lastLoad) {
      this.needsReload = true;
      this.crashReason = error.message;
    }
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(error);
  }

  private onMessage(message: FromWorkerMessage): void {
    if (message.type === 'ready') return;
    if (message.type === 'event') {
      if (message.event.kind === 'device-lost') this.options.onDeviceLost?.(message.event.reason);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress?.(message.progress);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.payload);
    else pending.reject(deserializeError(message.error));
  }

  private call<Op extends EngineOperation>(op: Op, payload: EngineRequests[Op], options: EngineCallOptions): Promise<EngineResults[Op]> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new EngineAbortedError(signal.reason));
    let worker: Worker;
    try {
      worker = this.ensureWorker();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.timeouts[op];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const result = new Promise<EngineResults[Op]>((resolve, reject) => {
      this.pending.set(id, { op, resolve: resolve as (v: unknown) => void, reject, onProgress: options.onProgress });
      const cancel = (error: Error): void => {
        if (!this.pending.delete(id)) return;
        worker.postMessage({ type: 'cancel', id, reason: serializeError(error) } satisfies ToWorkerMessage);
        reject(error);
      };
      timer = setTimeout(() => {
        const error = new EngineTimeoutError(op, timeoutMs);
        cancel(error);
        // A call that overran its timeout may be stuck in the GPU: start afresh rather than queue behind it.
        this.kill(new WorkerCrashedError(`the engine worker was restarted after ${op} timed out`));
      }, timeoutMs);
      if (signal) {
        onAbort = () => cancel(new EngineAbortedError(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
      }
      worker.postMessage({ type: 'call', id, op, payload } as ToWorkerMessage);
    });
    return result.finally(() => {
      clearTimeout(timer);
      if (signal && onAbort) signal.removeEventListener('abort', onAbort);
    });
  }
}

/** Creates the default engine: inference in a dedicated module worker, never on the page's thread. */
export function createWorkerEngine(options: WorkerEngineOptions): WorkerEngine {
  return new WorkerEngine(options);
}
