/**
 * The page side of background removal: `createSegmenter()` downloads the
 * segmenter's model into the store (verified, offline afterwards, shared
 * across tabs), then runs each job in its worker through the shared RPC module.
 */

import type { Backend } from '../backend/types.js';
import { isPipeline } from '../models/pipeline.js';
import type { ModelManifest } from '../models/types.js';
import { ManifestError } from '../models/validate.js';
import { createRpcClient, type RpcWorker } from '../rpc/index.js';
import type { DownloadProgress } from '../store/events.js';
import type { ModelStore } from '../store/model-store.js';
import { SEGMENT_ERRORS, type SegmentApi, type SegmentResult } from './segment-api.js';
import type { UpscaleBackend } from './upscale-api.js';

/** Options of {@link createSegmenter}. */
export interface SegmenterOptions {
  /** Creates the worker that runs {@link serveSegmenter}. */
  readonly createWorker: () => RpcWorker;
  readonly store: ModelStore;
  /** The segmenter's manifest (pipeline kind `segmenter`, e.g. `selfie-segmentation`). */
  readonly manifest: ModelManifest;
  readonly backend: UpscaleBackend;
}

/** What a background removal reports on its way. */
export type SegmentStep = { readonly phase: 'download'; readonly event: DownloadProgress } | { readonly phase: 'segment' };

/** Options of one background removal. */
export interface SegmentOptions {
  /** Cancels: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (step: SegmentStep) => void;
}

/** A background remover bound to one model, store and backend. */
export interface Segmenter {
  /** Makes the picture's background transparent (downloading the model first if needed). */
  removeBackground(image: Blob, options?: SegmentOptions): Promise<SegmentResult>;
  /** Stops the worker for good. */
  dispose(): void;
}

/** The manifest has no `segmenter` file for the backend's variant. */
export class NoSegmenterFileError extends Error {
  override readonly name = 'NoSegmenterFileError';
  constructor(modelId: string, variant: string) {
    super(`the ${modelId} manifest has no segmenter file for ${variant}`);
  }
}

/** Creates a {@link Segmenter}; throws {@link ManifestError} for a manifest whose pipeline is not a segmenter. */
export function createSegmenter(options: SegmenterOptions): Segmenter {
  const { manifest, store, backend } = options;
  const pipeline = manifest.pipeline;
  if (!isPipeline(pipeline, 'segmenter')) {
    throw new ManifestError([{ field: 'pipeline.kind', problem: `must be "segmenter" for background removal, got ${JSON.stringify(pipeline.kind)}` }], {
      source: manifest.id,
    });
  }
  const variant: Backend = backend === 'webgpu' ? 'webgpu-f32' : 'wasm';
  const rpc = createRpcClient<SegmentApi>({ name: 'the background remover worker', createWorker: options.createWorker, errors: SEGMENT_ERRORS });
  return {
    async removeBackground(image, { signal, onProgress } = {}) {
      await store.download(manifest, { variant, ...(signal ? { signal } : {}), onProgress: (event) => onProgress?.({ phase: 'download', event }) });
      const stored = await store.openFiles(manifest, variant);
      const spec = manifest.variants[variant]?.files.find((f) => f.role === 'segmenter');
      const model = stored.files.find((f) => f.path === spec?.path);
      if (!model) throw new NoSegmenterFileError(manifest.id, variant);
      onProgress?.({ phase: 'segment' });
      return rpc.call(
        'removeBackground',
        {
          image,
          model: model.file,
          modelKey: `${manifest.id}/${model.path}/${model.sha256}`,
          backend,
          inputSize: pipeline.inputSize,
          valueRange: pipeline.valueRange,
        },
        { ...(signal ? { signal } : {}) },
      );
    },
    dispose: () => rpc.dispose(),
  };
}
