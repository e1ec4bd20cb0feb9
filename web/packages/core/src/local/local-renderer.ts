import { chooseBackend } from '../backend/choose-backend.js';
import type { Backend, BackendChoice, ChooseBackendOptions } from '../backend/types.js';
import type { CapabilityReport } from '../capabilities/types.js';
import { blobSource } from '../engine/model.js';
import type { LocalEngine } from '../engine/types.js';
import { manifestRequirements } from '../models/registry.js';
import type { ModelManifest } from '../models/types.js';
import type { LocalRenderer, LocalStatus, RenderOptions, RenderOutput, RenderRequest } from '../router/types.js';
import type { ModelStore } from '../store/model-store.js';
import { createPngEncoder, type PngEncoder } from './png-encoder.js';
import { downloadProgressText } from './progress-text.js';

/** Options of {@link createLocalRenderer}. */
export interface LocalRendererOptions {
  readonly engine: LocalEngine;
  readonly store: ModelStore;
  readonly manifest: ModelManifest;
  readonly capabilities: CapabilityReport;
  /** Passed to `chooseBackend` (e.g. `allowFallbackAdapter` for software adapters). */
  readonly choose?: ChooseBackendOptions;
  /** UNet steps for drafts and for High Quality done locally. Default 1 and 4 (SD-Turbo's range). */
  readonly steps?: { readonly draft: number; readonly hq: number };
  /** Turns the engine's pixels into a PNG. Default: a dedicated worker, off the main thread. */
  readonly encodePng?: PngEncoder;
}

/** The router's local half, plus what the app's model panel needs. */
export interface LocalRendererHandle extends LocalRenderer {
  /** The backend decision and its reasons. */
  readonly choice: BackendChoice;
  /** Re-reads what the store holds (after a download or delete elsewhere). */
  refresh(): Promise<LocalStatus>;
  /** Downloads (if needed) and loads the model so the first draft has no cold start. */
  prepare(options?: RenderOptions): Promise<void>;
}

/**
 * The local half of the router: downloads the model into the store on first
 * use (progress as MB of MB, speed and ETA), loads it into the engine once
 * (sessions warmed), and makes drafts on this device at no cost.
 */
export function createLocalRenderer(options: LocalRendererOptions): LocalRendererHandle {
  const { engine, store, manifest, capabilities } = options;
  const steps = options.steps ?? { draft: 1, hq: 4 };
  const encodePng = options.encodePng ?? createPngEncoder();
  const choice = chooseBackend(capabilities, manifestRequirements(manifest), { requirePersistentStorage: true, ...options.choose });
  const backend: Backend | null = choice.backend === 'none' ? null : choice.backend;
  let stored = false;
  let loadedSize: number | null = null;
  let expectedDraftMs: number | null = null;

  function status(): LocalStatus {
    if (!backend)
      return {
        available: false,
        warm: false,
        backend: 'none',
        expectedDraftMs: null,
        reason: `no backend can run ${manifest.displayName} here: ${choice.reasons.join('; ')}`,
      };
    const offlineWithoutModel = !stored && globalThis.navigator?.onLine === false;
    return {
      available: !offlineWithoutModel,
      warm: loadedSize !== null,
      backend,
      expectedDraftMs,
      ...(offlineWithoutModel ? { reason: 'the model is not downloaded and the browser is offline' } : {}),
    };
  }

  async function ensureLoaded(size: number, { signal, onProgress }: RenderOptions): Promise<void> {
    if (!backend) throw new Error(status().reason);
    if (!stored) {
      await store.download(manifest, {
        variant: backend,
        ...(signal ? { signal } : {}),
        onProgress: (p) => {
          if (p.scope !== 'model' && p.status !== 'downloading') return;
          onProgress?.({
            source: 'local',
            phase: 'downloading',
            fraction: p.fraction,
            detail: `Downloading ${manifest.displayName}: ${downloadProgressText(p.doneBytes, p.totalBytes, p.bytesPerSecond, p.etaSeconds)}`,
          });
        },
      });
      stored = true;
    }
    if (loadedSize === size) return;
    onProgress?.({ source: 'local', phase: 'loading', fraction: 0, detail: `Loading ${manifest.displayName} on ${backend}…` });
    const files = await store.openFiles(manifest, backend);
    await engine.load({ model: manifest, source: blobSource(files.files), backend, size }, signal ? { signal } : {});
    loadedSize = size;
  }

  const handle: LocalRendererHandle = {
    choice,
    status,
    async refresh() {
      if (backend) stored = (await store.status(manifest, backend)).state === 'ready';
      const engineStatus = await engine.status();
      if (engineStatus.state === 'unloaded' || engineStatus.state === 'idle') loadedSize = null;
      return status();
    },
    async prepare(renderOptions = {}) {
      const pipeline = manifest.pipeline as { defaultSize?: number };
      await ensureLoaded(pipeline.defaultSize ?? 512, renderOptions);
    },
    async render(request: RenderRequest, renderOptions: RenderOptions): Promise<RenderOutput> {
      const started = performance.now();
      const size = request.width === request.height ? request.width : ((manifest.pipeline as { defaultSize?: number }).defaultSize ?? 512);
      await ensureLoaded(size, renderOptions);
      const totalSteps = request.settings === 'hq' ? steps.hq : steps.draft;
      const image = await engine.generate(
        { prompt: request.prompt, seed: request.seed, steps: totalSteps },
        {
          ...(renderOptions.signal ? { signal: renderOptions.signal } : {}),
          onProgress: (p) => {
            if (p.stage === 'unet')
              renderOptions.onProgress?.({
                source: 'local',
                phase: 'generating',
                fraction: p.step / (p.steps + 1),
                detail: `Step ${p.step} of ${p.steps}`,
              });
            else if (p.stage === 'vae') renderOptions.onProgress?.({ source: 'local', phase: 'generating', fraction: 0.95, detail: 'Decoding' });
          },
        },
      );
      const png = await encodePng(image);
      const total = performance.now() - started;
      if (request.settings === 'draft')
        expectedDraftMs = expectedDraftMs === null ? image.timings.totalMs : expectedDraftMs * 0.7 + image.timings.totalMs * 0.3;
      const t = image.timings;
      return {
        image: png,
        width: image.width,
        height: image.height,
        seed: image.seed,
        model: manifest.id,
        engine: image.backend,
        timings: {
          tokenize: t.tokenizeMs,
          text_encoder: t.textEncoderMs,
          unet: t.unetStepMs.reduce((a, b) => a + b, 0),
          vae: t.vaeMs,
          engine: t.totalMs,
          total,
        },
        costUsd: 0,
      };
    },
  };
  return handle;
}
