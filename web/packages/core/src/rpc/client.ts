/**
 * The page side of the rpc module: a typed client of one worker that
 * {@link serveRpc} serves. Every call has a request id, an optional
 * AbortSignal (a `cancel` message when it fires; the call rejects with
 * `signal.reason`), a time limit (total and/or without a message), progress
 * reports and transfer lists. A dying worker (`error` event, `messageerror`,
 * termination) rejects every pending call with {@link WorkerCrashedError};
 * the next call starts a new worker from the injected factory.
 */

import { CallTimeoutError, type ErrorClass, registerErrors, reviveError, serializeError, WorkerCrashedError } from './errors.js';
import type { RpcApi, RpcFromWorker, RpcOp, RpcProgress, RpcToWorker } from './protocol.js';

/** What the client needs of a worker: a DOM `Worker`, or an adapter over another kind (Node's worker_threads). */
export interface RpcWorker {
  postMessage(message: RpcToWorker, transfer: Transferable[]): void;
  addEventListener(type: 'message' | 'messageerror' | 'error', listener: (event: Event) => void): void;
  terminate(): void;
}

/** Options of {@link createRpcClient}. */
export interface RpcClientOptions<Api extends RpcApi, Event = never> {
  /** Creates the worker; injected by the app, e.g. `() => new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' })`. */
  readonly createWorker: () => RpcWorker;
  /** Names the worker in error messages, e.g. `the engine worker`. */
  readonly name: string;
  /** Default total time limit per operation, in milliseconds (none when absent). */
  readonly timeouts?: Partial<Record<RpcOp<Api>, number>>;
  /** After a call times out, terminate the worker (it may be stuck) rather than queue behind it. Default false. */
  readonly restartOnTimeout?: boolean;
  /** The error classes the worker may throw, so they revive as themselves. */
  readonly errors?: Readonly<Record<string, ErrorClass>>;
  /** Told of the worker's events outside any call. */
  readonly onEvent?: (event: Event) => void;
  /** Told when a live worker dies or is terminated (its state is gone). */
  readonly onCrash?: (error: Error) => void;
}

/** Options of one call. */
export interface RpcCallOptions<Progress = unknown> {
  /** Cancels the call: a `cancel` to the worker, and the call rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
  /** Total time limit (overrides the operation's default). */
  readonly timeoutMs?: number | undefined;
  /** Time limit without any message (progress) from the worker for this call. */
  readonly idleTimeoutMs?: number | undefined;
  /** After an abort, wait this long for the worker to stop (and save what it must) before rejecting. Default 0. */
  readonly abortGraceMs?: number | undefined;
  readonly onProgress?: ((progress: Progress) => void) | undefined;
  /** Buffers in the payload to move to the worker instead of copying (they detach here). */
  readonly transfer?: Transferable[] | undefined;
}

interface Pending {
  readonly onProgress: (progress: unknown) => void;
  readonly onAnswer: (answer: { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error }) => void;
  readonly fail: (error: Error) => void;
}

/** A typed client of one worker serving `Api`. */
export class RpcClient<Api extends RpcApi, Event = never> {
  private worker: RpcWorker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private disposed = false;

  constructor(private readonly options: RpcClientOptions<Api, Event>) {
    if (options.errors) registerErrors(options.errors);
  }

  /** Whether a worker is running now. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Calls `op` in the worker. */
  call<Op extends RpcOp<Api>>(op: Op, payload: Api[Op]['request'], options: RpcCallOptions<RpcProgress<Api, Op>> = {}): Promise<Api[Op]['result']> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let worker: RpcWorker;
    try {
      worker = this.ensureWorker();
    } catch (error) {
      return Promise.reject(error);
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const cleanups: (() => void)[] = [];
      const settle = (finish: () => void): void => {
        if (!this.pending.delete(id)) return;
        for (const cleanup of cleanups) cleanup();
        finish();
      };
      const fail = (error: Error): void => settle(() => reject(error));
      const cancel = (reason: unknown): void => worker.postMessage({ rpc: 'cancel', id, reason: serializeError(reason) }, []);
      let idle: (() => void) | null = null;
      const pending: { -readonly [K in keyof Pending]: Pending[K] } = {
        onProgress: (progress) => {
          idle?.();
          (options.onProgress as ((p: unknown) => void) | undefined)?.(progress);
        },
        onAnswer: (answer) => settle(() => (answer.ok ? resolve(answer.value as Api[Op]['result']) : reject(answer.error))),
        fail,
      };
      this.pending.set(id, pending);
      const overrun = (error: CallTimeoutError): void => {
        cancel(error);
        fail(error);
        if (this.options.restartOnTimeout) this.kill(new WorkerCrashedError(`${this.options.name} was restarted after ${op} timed out`));
      };
      const timeoutMs = options.timeoutMs ?? this.options.timeouts?.[op];
      if (timeoutMs !== undefined) {
        const timer = setTimeout(() => overrun(new CallTimeoutError(op, timeoutMs)), timeoutMs);
        cleanups.push(() => clearTimeout(timer));
      }
      if (options.idleTimeoutMs !== undefined) {
        const ms = options.idleTimeoutMs;
        let timer: ReturnType<typeof setTimeout> | undefined;
        idle = () => {
          clearTimeout(timer);
          timer = setTimeout(() => overrun(new CallTimeoutError(op, ms, 'sent nothing')), ms);
        };
        idle();
        cleanups.push(() => clearTimeout(timer));
      }
      if (signal) {
        const onAbort = (): void => {
          cancel(signal.reason);
          const grace = options.abortGraceMs ?? 0;
          if (grace <= 0) {
            fail(signal.reason);
            return;
          }
          // Let the worker stop cleanly (e.g. save a checkpoint): whatever it answers, the call rejects with the reason.
          pending.onAnswer = () => fail(signal.reason);
          const timer = setTimeout(() => fail(signal.reason), grace);
          cleanups.push(() => clearTimeout(timer));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
      worker.postMessage({ rpc: 'call', id, op, payload }, options.transfer ?? []);
    });
  }

  /** Terminates the worker as if it had died: pending calls reject with `error`; the next call starts a new worker. */
  terminate(error: Error = new WorkerCrashedError(`${this.options.name} was terminated`)): void {
    this.kill(error);
  }

  /** Terminates the worker for good: pending and later calls reject with {@link WorkerCrashedError}. */
  dispose(): void {
    this.disposed = true;
    this.kill(new WorkerCrashedError(`${this.options.name} was disposed`));
  }

  private ensureWorker(): RpcWorker {
    if (this.disposed) throw new WorkerCrashedError(`${this.options.name} is disposed`);
    if (this.worker) return this.worker;
    const worker = this.options.createWorker();
    worker.addEventListener('message', (event) => this.onMessage((event as MessageEvent<RpcFromWorker>).data));
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      const message = (event as ErrorEvent).message || 'an error event without a message (the script failed to load or the worker crashed)';
      this.kill(new WorkerCrashedError(`${this.options.name} died: ${message}`), worker);
    });
    worker.addEventListener('messageerror', () =>
      this.kill(new WorkerCrashedError(`${this.options.name} sent a message that could not be deserialised`), worker),
    );
    this.worker = worker;
    return worker;
  }

  private kill(error: Error, which: RpcWorker | null = this.worker): void {
    if (which !== this.worker) return;
    const worker = this.worker;
    this.worker = null;
    worker?.terminate();
    const pending = [...this.pending.values()];
    for (const p of pending) p.fail(error);
    if (worker) this.options.onCrash?.(error);
  }

  private onMessage(message: RpcFromWorker): void {
    if (message.rpc === 'event') {
      this.options.onEvent?.(message.event as Event);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.rpc === 'progress') pending.onProgress(message.progress);
    else if (message.rpc === 'result') pending.onAnswer({ ok: true, value: message.result });
    else pending.onAnswer({ ok: false, error: reviveError(message.error) });
  }
}

/** Creates an {@link RpcClient}; the worker starts on the first call. */
export function createRpcClient<Api extends RpcApi, Event = never>(options: RpcClientOptions<Api, Event>): RpcClient<Api, Event> {
  return new RpcClient(options);
}
