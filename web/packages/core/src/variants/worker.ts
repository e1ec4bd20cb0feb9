/**
 * Variant builds in a dedicated Web Worker: the page sends the downloaded
 * files as Blobs and an OPFS folder; the worker streams them through the
 * transforms into OPFS (sync access handles) and answers with the derived
 * variant. Every call has a request id, an AbortSignal, a timeout, and
 * errors that keep their class, message and stack.
 */

import { deserializeEngineError, EngineAbortedError, EngineTimeoutError, serializeEngineError, WorkerCrashedError } from '../engine/errors.js';
import { type BuildProgress, type BuiltVariant, buildVariant } from './build.js';
import { deserializeVariantError } from './errors.js';
import { opfsDirectory, opfsTree } from './opfs.js';
import type { BuildPayload, FromVariantWorker, ToVariantWorker } from './worker-protocol.js';

/** What {@link serveVariantBuilder} needs of the worker's global scope. */
export interface VariantWorkerScope {
  postMessage(message: FromVariantWorker): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToVariantWorker>) => void): void;
}

/** Runs in the worker: answers build requests. */
export function serveVariantBuilder(scope: VariantWorkerScope): void {
  const running = new Map<number, AbortController>();
  scope.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type === 'cancel') {
      running.get(message.id)?.abort(deserializeEngineError(message.reason));
      return;
    }
    const controller = new AbortController();
    running.set(message.id, controller);
    const { outDir, ...request } = message.payload;
    void (async () => {
      try {
        const root = await opfsDirectory(await navigator.storage.getDirectory(), outDir);
        // What the browser grants, minus what an older build of this variant (removed first) does not free: conservative.
        const estimate = await navigator.storage.estimate().catch(() => null);
        const available = estimate?.quota === undefined ? undefined : estimate.quota - (estimate.usage ?? 0);
        const result = await buildVariant(
          request.availableBytes === undefined && available !== undefined ? { ...request, availableBytes: available } : request,
          opfsTree(root),
          {
            signal: controller.signal,
            onProgress: (progress) => scope.postMessage({ type: 'progress', id: message.id, progress }),
          },
        );
        scope.postMessage({ type: 'done', id: message.id, result });
      } catch (error) {
        scope.postMessage({ type: 'error', id: message.id, error: serializeEngineError(error) });
      } finally {
        running.delete(message.id);
      }
    })();
  });
}

/** Options of {@link createVariantBuilder}. */
export interface VariantBuilderOptions {
  /** Creates the worker, e.g. `() => new Worker(new URL('./variants.worker.ts', import.meta.url), { type: 'module' })`. */
  readonly createWorker: () => Worker;
  /** Default timeout of a build (default 30 minutes: a 1.7 GB UNet takes about a minute). */
  readonly timeoutMs?: number;
}

/** Options of one build call. */
export interface BuildCallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly onProgress?: (progress: BuildProgress) => void;
}

/** The page side: builds variants in a worker, one worker per builder. */
export interface VariantBuilder {
  build(payload: BuildPayload, options?: BuildCallOptions): Promise<BuiltVariant>;
  /** Terminates the worker; pending builds reject with {@link WorkerCrashedError}. */
  dispose(): void;
}

/** Creates a {@link VariantBuilder}. The worker starts on the first build and is restarted after a crash. */
export function createVariantBuilder(options: VariantBuilderOptions): VariantBuilder {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve(r: BuiltVariant): void; reject(e: Error): void; onProgress?: (p: BuildProgress) => void }>();
  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
    worker?.terminate();
    worker = null;
  };
  const ensure = (): Worker => {
    if (worker) return worker;
    const w = options.createWorker();
    w.onmessage = (event: MessageEvent<FromVariantWorker>) => {
      const m = event.data;
      const p = pending.get(m.id);
      if (!p) return;
      if (m.type === 'progress') p.onProgress?.(m.progress);
      else {
        pending.delete(m.id);
        if (m.type === 'done') p.resolve(m.result);
        else p.reject(deserializeVariantError(m.error));
      }
    };
    w.onerror = (event) => failAll(new WorkerCrashedError(`the variant worker died: ${event.message || 'unknown error'}`));
    worker = w;
    return w;
  };
  return {
    build(payload, call = {}) {
      const { signal } = call;
      if (signal?.aborted) return Promise.reject(new EngineAbortedError(signal.reason));
      const id = nextId++;
      const w = ensure();
      const timeoutMs = call.timeoutMs ?? options.timeoutMs ?? 30 * 60_000;
      return new Promise<BuiltVariant>((resolve, reject) => {
        const cancel = (error: Error) => {
          if (!pending.has(id)) return;
          pending.delete(id);
          w.postMessage({ type: 'cancel', id, reason: serializeEngineError(error) } satisfies ToVariantWorker);
          reject(error);
        };
        const timer = setTimeout(() => cancel(new EngineTimeoutError('variant build', timeoutMs)), timeoutMs);
        const onAbort = () => cancel(new EngineAbortedError(signal?.reason));
        signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        pending.set(id, {
          resolve: (r) => {
            done();
            resolve(r);
          },
          reject: (e) => {
            done();
            reject(e);
          },
          ...(call.onProgress ? { onProgress: call.onProgress } : {}),
        });
        w.postMessage({ type: 'build', id, payload } satisfies ToVariantWorker);
      });
    },
    dispose() {
      failAll(new WorkerCrashedError('the variant builder was disposed'));
    },
  };
}

export type { BuildPayload };
