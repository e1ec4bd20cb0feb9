/**
 * Variant builds in a dedicated Web Worker: the page sends the downloaded
 * files as Blobs and an OPFS folder; the worker streams them through the
 * transforms into OPFS (sync access handles) and answers with the derived
 * variant. The rpc module carries each call (request id, AbortSignal,
 * timeout, errors that keep their class, message and stack).
 */

import { createRpcClient, ENGINE_ERRORS, type RpcScope, type RpcWorker, serveRpc } from '@hybridgen/core';
import { type BuildProgress, type BuiltVariant, buildVariant } from './build.js';
import { VARIANT_ERRORS } from './errors.js';
import { opfsDirectory, opfsTree } from './opfs.js';
import type { BuildPayload, VariantApi } from './worker-protocol.js';

/** What {@link serveVariantBuilder} needs of the worker's global scope. */
export type VariantWorkerScope = RpcScope;

const ERRORS = { ...ENGINE_ERRORS, ...VARIANT_ERRORS };

/** What the browser grants, minus what an older build of this variant (removed first) does not free: conservative. */
async function availableBytes(): Promise<number | undefined> {
  const estimate = await navigator.storage.estimate().catch(() => null);
  return estimate?.quota === undefined ? undefined : estimate.quota - (estimate.usage ?? 0);
}

/** Runs in the worker: answers build requests. */
export function serveVariantBuilder(scope: VariantWorkerScope): void {
  serveRpc<VariantApi>(
    scope,
    {
      build: async ({ outDir, ...request }, { signal, progress }) => {
        const root = await opfsDirectory(await navigator.storage.getDirectory(), outDir);
        const available = request.availableBytes === undefined ? await availableBytes() : undefined;
        const withQuota = available === undefined ? request : { ...request, availableBytes: available };
        return buildVariant(withQuota, opfsTree(root), { signal, onProgress: (p) => progress(p) });
      },
    },
    { errors: ERRORS },
  );
}

/** Options of {@link createVariantBuilder}. */
export interface VariantBuilderOptions {
  /** Creates the worker, e.g. `() => new Worker(new URL('./variants.worker.ts', import.meta.url), { type: 'module' })`. */
  readonly createWorker: () => RpcWorker;
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
  /** Terminates the worker; pending builds reject with `WorkerCrashedError`. */
  dispose(): void;
}

/** Creates a {@link VariantBuilder}. The worker starts on the first build and is restarted after a crash. */
export function createVariantBuilder(options: VariantBuilderOptions): VariantBuilder {
  const rpc = createRpcClient<VariantApi>({
    name: 'the variant worker',
    createWorker: options.createWorker,
    timeouts: { build: options.timeoutMs ?? 30 * 60_000 },
    errors: ERRORS,
  });
  return {
    build: (payload, call = {}) => rpc.call('build', payload, call),
    dispose: () => rpc.dispose(),
  };
}

export type { BuildPayload };
