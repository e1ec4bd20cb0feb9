/**
 * The page side of upscaling: `createUpscaler()` downloads the upscaler's
 * model into the store (verified, offline afterwards, shared across tabs),
 * then runs each job in its worker through the shared RPC module.
 */

import type { Backend } from '../backend/types.js';
import { isPipeline } from '../models/pipeline.js';
import type { ModelManifest } from '../models/types.js';
import { ManifestError } from '../models/validate.js';
import { createRpcClient, type RpcWorker } from '../rpc/index.js';
import type { DownloadProgress } from '../store/events.js';
import type { ModelStore } from '../store/model-store.js';
import { UPSCALE_ERRORS, type UpscaleApi, type UpscaleBackend, type UpscaleResult } from './upscale-api.js';

/** Options of {@link createUpscaler}. */
export interface UpscalerOptions {
  /** Creates the worker that runs {@link serveUpscaler}. */
  readonly createWorker: () => RpcWorker;
  readonly store: ModelStore;
  /** The upscaler's manifest (pipeline kind `upscaler`, e.g. `esrgan-slim`). */
  readonly manifest: ModelManifest;
  readonly backend: UpscaleBackend;
  /** Tile core size in input pixels (default 128): bounds the memory one model run takes. */
  readonly tileSize?: number;
}

/** What an upscale reports on its way. */
export type UpscaleStep =
  | { readonly phase: 'download'; readonly event: DownloadProgress }
  | { readonly phase: 'upscale'; readonly tilesDone: number; readonly tilesTotal: number };

/** Options of one upscale. */
export interface UpscaleOptions {
  /** 2 or 4 (any scale the manifest has an `x<scale>/` file for). */
  readonly scale: number;
  /** Cancels: the promise rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (step: UpscaleStep) => void;
}

/** An upscaler bound to one model, store and backend. */
export interface Upscaler {
  /** The scales the model offers, e.g. [2, 4]. */
  readonly scales: readonly number[];
  /** Upscales a picture into a PNG `scale` times larger (downloading the model first if needed). */
  upscale(image: Blob, options: UpscaleOptions): Promise<UpscaleResult>;
  /** Stops the worker for good. */
  dispose(): void;
}

/** The manifest has no file for this scale. */
export class UnsupportedScaleError extends Error {
  override readonly name = 'UnsupportedScaleError';
  readonly scale: number;
  constructor(scale: number, scales: readonly number[]) {
    super(`the upscaler has no ${scale}x model (it has ${scales.map((s) => `${s}x`).join(', ')})`);
    this.scale = scale;
  }
}

/** Creates an {@link Upscaler}; throws {@link ManifestError} for a manifest whose pipeline is not an upscaler. */
export function createUpscaler(options: UpscalerOptions): Upscaler {
  const { manifest, store, backend } = options;
  const pipeline = manifest.pipeline;
  if (!isPipeline(pipeline, 'upscaler')) {
    throw new ManifestError([{ field: 'pipeline.kind', problem: `must be "upscaler" for the upscaler, got ${JSON.stringify(pipeline.kind)}` }], {
      source: manifest.id,
    });
  }
  const variant: Backend = backend === 'webgpu' ? 'webgpu-f32' : 'wasm';
  const files = manifest.variants[variant]?.files.filter((f) => f.role === 'upscaler') ?? [];
  const byScale = new Map<number, string>();
  for (const f of files) {
    const scale = /^x(\d+)\//.exec(f.path)?.[1];
    if (scale !== undefined) byScale.set(Number(scale), f.path);
  }
  const scales = [...byScale.keys()].sort((a, b) => a - b);
  const rpc = createRpcClient<UpscaleApi>({ name: 'the upscaler worker', createWorker: options.createWorker, errors: UPSCALE_ERRORS });
  return {
    scales,
    async upscale(image, { scale, signal, onProgress }) {
      const path = byScale.get(scale);
      if (path === undefined) throw new UnsupportedScaleError(scale, scales);
      await store.download(manifest, { variant, ...(signal ? { signal } : {}), onProgress: (event) => onProgress?.({ phase: 'download', event }) });
      const stored = await store.openFiles(manifest, variant);
      const model = stored.files.find((f) => f.path === path);
      if (!model) throw new UnsupportedScaleError(scale, scales);
      return rpc.call(
        'upscale',
        {
          image,
          model: model.file,
          modelKey: `${manifest.id}/${path}/${model.sha256}`,
          scale,
          backend,
          tileSize: options.tileSize ?? 128,
          tilePadding: pipeline.tilePadding,
          valueRange: pipeline.valueRange,
        },
        { signal, onProgress: (p) => onProgress?.({ phase: 'upscale', ...p }) },
      );
    },
    dispose: () => rpc.dispose(),
  };
}
