import {
  type CapabilityReport,
  createSegmenter,
  createUpscaler,
  type DraftQueue,
  getManifest,
  type ModelStore,
  type ServerConfig,
  type UpscaleBackend,
} from '@hybridgen/core';
import { createImageActionController, type ImageActionController, type LocalEditRecord } from '@hybridgen/tldraw';

/** The built-in upscaler model: its files come from the server's mirror (`hybridgen models pull esrgan-slim`). */
export const UPSCALER_MODEL_ID = 'esrgan-slim';

/** The built-in background remover: its file comes from the mirror (`hybridgen models pull selfie-segmentation`). */
export const SEGMENTER_MODEL_ID = 'selfie-segmentation';

/** What the image actions need from the app's services. */
export interface ImagingDeps {
  readonly capabilities: CapabilityReport;
  readonly config: ServerConfig;
  readonly store: ModelStore;
  /** Local-work reports, queued while the server is away. */
  readonly drafts: DraftQueue;
  readonly clientId: string;
  /** Called after each finished action (the cost panel refreshes). */
  readonly onResult: () => void;
}

/** WebGPU on a real adapter; WebAssembly otherwise (a software adapter is slower than WASM). */
function upscaleBackend(capabilities: CapabilityReport): UpscaleBackend {
  return capabilities.webgpu.available && !capabilities.webgpu.adapter.isFallbackAdapter ? 'webgpu' : 'wasm';
}

/**
 * The on-device image actions (upscaling, background removal): each model runs in its own worker on the pinned
 * built-in manifest, its files downloaded from the mirror into the model store on first use. Each
 * run is reported to the ledger as a local edit at $0, with the default target's price avoided.
 */
export function createImageActions(deps: ImagingDeps): ImageActionController {
  const manifest = getManifest(UPSCALER_MODEL_ID);
  const backend = upscaleBackend(deps.capabilities);
  const upscaler = createUpscaler({
    createWorker: () => new Worker(new URL('./upscale.worker.ts', import.meta.url), { type: 'module' }),
    store: deps.store,
    manifest,
    backend,
  });
  const segmenterManifest = getManifest(SEGMENTER_MODEL_ID);
  const segmenter = createSegmenter({
    createWorker: () => new Worker(new URL('./segment.worker.ts', import.meta.url), { type: 'module' }),
    store: deps.store,
    manifest: segmenterManifest,
    backend,
  });
  const target = deps.config.cloud.default_target;
  const record = (edit: LocalEditRecord) =>
    deps.drafts.report({
      client_id: deps.clientId,
      idempotency_key: crypto.randomUUID(),
      width: edit.width,
      height: edit.height,
      steps: 1,
      model: edit.model,
      task: edit.task,
      // Dated when made: an edit made offline waits in the queue like a draft.
      made_at: new Date().toISOString(),
      ...(target ? { target } : {}),
    });
  return createImageActionController({
    upscaler,
    upscalerModel: manifest.id,
    segmenter,
    segmenterModel: segmenterManifest.id,
    engine: backend === 'webgpu' ? 'WebGPU' : 'WebAssembly',
    record,
    onResult: deps.onResult,
  });
}
