/**
 * One shared preparation (download, derivation, engine load) of the local model: whoever asks while
 * it runs waits for the same one, so the model is never loaded twice, and sees its progress; the
 * engine load phase reports its elapsed time (a `load` stage) as it goes.
 */

import type { ProgressStage, RouteProgress } from '../router/types.js';

/** Where the local model's preparation stands. */
export type LocalPreparationState = 'idle' | 'downloading' | 'deriving' | 'loading' | 'ready' | 'failed';

/** A snapshot of the preparation, for the UI (`LocalRendererHandle.preparation`). */
export interface LocalPreparation {
  readonly state: LocalPreparationState;
  /** `performance.now()` when the current preparation started; null when none ever did. */
  readonly startedAt: number | null;
  /** 0..1 within the current phase, when known. */
  readonly fraction: number | null;
  /**
   * What exactly, as data (a download's bytes, a derivation's graph, a load's elapsed time as of
   * this snapshot: `startedAt` gives it now); `formatProgress` in `@hybridgen/tldraw` words it.
   */
  readonly stage: ProgressStage | null;
  /** The failure's message, when `state` is `failed`. */
  readonly error?: string;
}

/** Reports a phase of a running preparation. */
export type PreparationReporter = (state: 'downloading' | 'deriving' | 'loading', fraction: number | null, stage: ProgressStage | null) => void;

/** How often a waiting caller's progress is refreshed (the seconds counter). */
const TICK_MS = 250;

/** The load stage `elapsedMs` after the preparation started. */
function loadStage(startedAt: number): ProgressStage {
  return { kind: 'load', elapsedMs: Math.max(0, performance.now() - startedAt) };
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

interface Running {
  readonly key: number;
  readonly promise: Promise<void>;
  readonly controller: AbortController;
  waiters: number;
}

/** The shared preparation: at most one per key (the image size) runs at a time. */
export class SharedPreparation {
  private running: Running | null = null;
  private current: LocalPreparation = { state: 'idle', startedAt: null, fraction: null, stage: null };
  private readonly listeners = new Set<(p: LocalPreparation) => void>();

  /** The current snapshot. */
  get snapshot(): LocalPreparation {
    return this.current;
  }

  /** Calls `listener` on every change; returns the unsubscribe function. */
  subscribe(listener: (p: LocalPreparation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** True while a preparation runs. */
  get busy(): boolean {
    return this.running !== null;
  }

  /**
   * Waits for the preparation of `key`, starting `work` when none runs. `work` gets a signal that
   * aborts only when every caller waiting for it has aborted.
   */
  async run(
    key: number,
    work: (signal: AbortSignal, report: PreparationReporter) => Promise<void>,
    options: { readonly signal?: AbortSignal | undefined; readonly onProgress?: ((p: RouteProgress) => void) | undefined } = {},
  ): Promise<void> {
    let running = this.running;
    if (running && running.key !== key) await running.promise.catch(() => {});
    running = this.running;
    if (!running || running.key !== key) running = this.start(key, work);
    return this.wait(running, options);
  }

  private start(key: number, work: (signal: AbortSignal, report: PreparationReporter) => Promise<void>): Running {
    const controller = new AbortController();
    const startedAt = performance.now();
    this.set({ state: 'loading', startedAt, fraction: null, stage: loadStage(startedAt) });
    const report: PreparationReporter = (state, fraction, stage) => this.set({ state, startedAt, fraction, stage: stage ?? loadStage(startedAt) });
    const promise = work(controller.signal, report).then(
      () => this.set({ state: 'ready', startedAt, fraction: 1, stage: null }),
      (error: unknown) => {
        this.set({ state: 'failed', startedAt, fraction: null, stage: null, error: error instanceof Error ? error.message : String(error) });
        throw error;
      },
    );
    const running: Running = { key, promise, controller, waiters: 0 };
    this.running = running;
    promise.then(
      () => this.finish(running),
      () => this.finish(running),
    );
    return running;
  }

  private finish(running: Running): void {
    if (this.running === running) this.running = null;
  }

  private set(p: LocalPreparation): void {
    this.current = p;
    for (const listener of this.listeners) listener(p);
  }

  private wait(
    running: Running,
    options: { readonly signal?: AbortSignal | undefined; readonly onProgress?: ((p: RouteProgress) => void) | undefined },
  ): Promise<void> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    running.waiters++;
    return new Promise<void>((resolve, reject) => {
      const emit = () => {
        const p = this.current;
        if (p.state === 'ready' || p.state === 'failed' || p.state === 'idle' || !p.startedAt) return;
        const stage = p.state === 'loading' ? loadStage(p.startedAt) : p.stage;
        onProgress?.({
          source: 'local',
          phase: p.state === 'downloading' ? 'downloading' : 'loading',
          fraction: p.fraction ?? 0,
          ...(stage ? { stage } : {}),
        });
      };
      emit();
      const unsubscribe = this.subscribe(emit);
      const timer = setInterval(emit, TICK_MS);
      const onAbort = () => {
        done();
        if (--running.waiters === 0) running.controller.abort(signal?.reason);
        reject(signal ? abortReason(signal) : new DOMException('aborted', 'AbortError'));
      };
      const done = () => {
        clearInterval(timer);
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      running.promise.then(
        () => {
          done();
          running.waiters--;
          resolve();
        },
        (error: unknown) => {
          done();
          running.waiters--;
          reject(error);
        },
      );
    });
  }
}
