import { chooseBackend } from '../backend/choose-backend.js';
import type { Backend, BackendChoice, ChooseBackendOptions } from '../backend/types.js';
import type { CapabilityReport } from '../capabilities/types.js';
import { blobSource, type EngineModel, type ModelFileSource } from '../engine/model.js';
import type { EngineProgress, GeneratedImage, LocalEngine } from '../engine/types.js';
import { variantUnsupportedGraphs } from '../models/ops.js';
import { assertDraftingModel, type DraftingManifest, manifestRequirements, type NotADraftingModelError } from '../models/registry.js';
import type { ModelManifest } from '../models/types.js';
import type { LocalRenderer, LocalStatus, ProgressStage, RenderOptions, RenderOutput, RenderRequest, StageTimings } from '../router/types.js';
import type { ModelStore } from '../store/model-store.js';
import { decodeInitImage } from './init-image.js';
import { createPngEncoder, type PngEncoder } from './png-encoder.js';
import { type LocalPreparation, type PreparationReporter, SharedPreparation } from './preparation.js';
import type { VariantDeriver } from './variant-deriver.js';

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
  /**
   * The schedule an image-to-image run takes its tail from (UNet steps: ceil(steps x strength)).
   * Default 2 for drafts (strength 0.5: one UNet step at t = 499, SD-Turbo's documented img2img)
   * and 4 for High Quality.
   */
  readonly img2imgSteps?: { readonly draft: number; readonly hq: number };
  /** Turns the engine's pixels into a PNG. Default: a dedicated worker, off the main thread. */
  readonly encodePng?: PngEncoder;
  /**
   * Builds a variant the model does not ship (fp32 for WebGPU without shader-f16, int8 for WASM)
   * from its fp16 weights, once, after download. Without it such a device cannot run an
   * fp16-only model locally. `@hybridgen/variants`' `createVariantDeriver` makes one.
   */
  readonly derive?: VariantDeriver;
}

/** Where a model that ships only fp16 weights can still run once a variant is derived. */
function derivableBackend(caps: CapabilityReport, options: LocalRendererOptions): Backend | null {
  if (!options.derive || !options.manifest.variants['webgpu-f16']) return null;
  // A derived variant runs the fp16 graphs' operators: refuse a backend that lacks some.
  const runs = (b: Backend): boolean => variantUnsupportedGraphs(options.manifest, b, 'webgpu-f16').length === 0;
  const gpu = caps.webgpu;
  if (gpu.available && (!gpu.adapter.isFallbackAdapter || options.choose?.allowFallbackAdapter) && runs('webgpu-f32')) return 'webgpu-f32';
  return caps.wasm.supported && caps.wasm.simd && runs('wasm') ? 'wasm' : null;
}

/** Where the model runs and which of its variants is downloaded for it. */
interface BackendPlan {
  readonly choice: BackendChoice;
  /** The backend that runs, or null when none can. */
  readonly backend: Backend | null;
  /** The variant whose files are downloaded: the shipped one, or the fp16 weights a variant is derived from. */
  readonly downloadVariant: Backend | null;
  /** Set when the run variant is built on this device from the fp16 download. */
  readonly derived: Backend | null;
}

/** Picks the shipped variant that runs here or, when none does, one to derive from the fp16 weights. */
function planBackend(manifest: ModelManifest, options: LocalRendererOptions): BackendPlan {
  const { capabilities } = options;
  const shipped = chooseBackend(capabilities, manifestRequirements(manifest), { requirePersistentStorage: true, ...options.choose });
  // No shipped variant runs here, but one can be derived from the fp16 weights after download.
  const derived = shipped.backend === 'none' ? derivableBackend(capabilities, options) : null;
  const f16 = manifest.variants['webgpu-f16'];
  if (!derived || !f16) {
    return {
      choice: shipped,
      backend: shipped.backend === 'none' ? null : shipped.backend,
      downloadVariant: shipped.backend === 'none' ? null : shipped.backend,
      derived: null,
    };
  }
  const choice: BackendChoice = {
    backend: derived,
    reasons: [`${derived === 'wasm' ? 'int8' : 'fp32'} weights built on this device from the fp16 download (once)`, ...shipped.reasons],
    rejected: shipped.rejected,
    variant: f16.requirements,
  };
  return { choice, backend: derived, downloadVariant: 'webgpu-f16', derived };
}

/** What {@link deriveModel} works on. */
interface Derivation {
  readonly manifest: DraftingManifest;
  readonly backend: Backend;
  readonly derive: NonNullable<LocalRendererOptions['derive']>;
  /** The stored fp16 files. */
  readonly files: readonly { readonly path: string; readonly file: Blob }[];
  readonly signal: AbortSignal;
  readonly report: PreparationReporter;
}

/**
 * Builds (once; later a stored one is reused) the fp32 or int8 variant `backend` runs from the
 * stored fp16 files, and returns the model and source the engine loads.
 */
async function deriveModel(d: Derivation): Promise<{ model: EngineModel; source: ModelFileSource }> {
  const f16 = d.manifest.variants['webgpu-f16'];
  if (!f16) throw new Error(`${d.manifest.displayName} has no fp16 weights to derive from`);
  const kind = d.backend === 'wasm' ? 'int8' : 'fp32';
  const derivation = { files: f16.files, blobs: Object.fromEntries(d.files.map((f) => [f.path, f.file])) };
  // The stored derived variant, or a new build: no header scan of the fp16 graphs on the way
  // (that estimate is for choosing a backend; a revisit has chosen and built already).
  const ensured = await d.derive.ensureDerivedVariant({
    model: d.manifest,
    backend: d.backend,
    source: derivation,
    outDir: `variants/${d.manifest.id}`,
    signal: d.signal,
    // Called only while a variant is built (not when a stored one is reused).
    onProgress: (p) => d.report('deriving', p.totalBytes ? p.doneBytes / p.totalBytes : 0, { kind: 'derive', weights: kind, role: p.role }),
  });
  if (!ensured) throw new Error(`no ${kind} variant could be derived for ${d.manifest.displayName}`);
  return { model: ensured.model, source: ensured.source };
}

/** The engine's progress as the router's: UNet steps, the init image's encoding, decoding. */
function generationProgress(onProgress: RenderOptions['onProgress']): (p: EngineProgress) => void {
  const report = (fraction: number, stage: ProgressStage) => onProgress?.({ source: 'local', phase: 'generating', fraction, stage });
  return (p) => {
    if (p.stage === 'unet') report(p.step / (p.steps + 1), { kind: 'step', step: p.step, of: p.steps });
    else if (p.stage === 'encoder') report(0.05, { kind: 'encode' });
    else if (p.stage === 'vae') report(0.95, { kind: 'decode' });
  };
}

/** A generated image's timings by stage, `total` (ms) including the wait for the model and the PNG. */
function stageTimings(image: GeneratedImage, total: number): StageTimings {
  const t = image.timings;
  return {
    tokenize: t.tokenizeMs,
    text_encoder: t.textEncoderMs,
    unet: t.unetStepMs.reduce((a, b) => a + b, 0),
    ...(t.encoderMs !== undefined ? { tiny_encoder: t.encoderMs } : {}),
    // The key says which decoder ran: `tiny_decoder` for drafts when the variant has one, else `vae`.
    [image.decoder === 'tiny' ? 'tiny_decoder' : 'vae']: t.vaeMs,
    engine: t.totalMs,
    total,
  };
}

/** The router's local half, plus what the app's model panel needs. */
export interface LocalRendererHandle extends LocalRenderer {
  /** The backend decision and its reasons. */
  readonly choice: BackendChoice;
  /** The variant whose files are downloaded and stored (fp16 when the run variant is derived), or null. */
  readonly downloadVariant: Backend | null;
  /** Re-reads what the store holds (after a download or delete elsewhere). */
  refresh(): Promise<LocalStatus>;
  /**
   * Downloads (if needed) and loads the model so the first draft has no cold start. A call while a
   * preparation runs (another `prepare`, or a `render`) waits for that one: the model is never
   * loaded twice.
   */
  prepare(options?: RenderOptions): Promise<void>;
  /** Where the preparation stands (idle, downloading, deriving, loading, ready, failed). */
  preparation(): LocalPreparation;
  /** Calls `listener` whenever the preparation changes; returns the unsubscribe function. */
  onPreparation(listener: (p: LocalPreparation) => void): () => void;
}

/** What the functions of {@link createLocalRenderer} share: its settings and its mutable state. */
interface LocalState {
  readonly options: LocalRendererOptions;
  readonly manifest: DraftingManifest;
  readonly steps: { readonly draft: number; readonly hq: number };
  readonly img2imgSteps: { readonly draft: number; readonly hq: number };
  readonly encodePng: PngEncoder;
  readonly plan: BackendPlan;
  readonly shared: SharedPreparation;
  /** Whether the store holds the download variant's files. */
  stored: boolean;
  /** The size the engine has the model loaded for, or null. */
  loadedSize: number | null;
  expectedDraftMs: number | null;
}

/** The renderer's status: unavailable without a backend, or offline without the model. */
function localStatus(st: LocalState): LocalStatus {
  const { backend, choice } = st.plan;
  if (!backend)
    return {
      available: false,
      warm: false,
      backend: 'none',
      expectedDraftMs: null,
      reason: `no backend can run ${st.manifest.displayName} here: ${choice.reasons.join('; ')}`,
    };
  const offlineWithoutModel = !st.stored && globalThis.navigator?.onLine === false;
  return {
    available: !offlineWithoutModel,
    warm: st.loadedSize !== null,
    backend,
    expectedDraftMs: st.expectedDraftMs,
    ...(offlineWithoutModel ? { reason: 'the model is not downloaded and the browser is offline' } : {}),
  };
}

/** Loads the model for `size` unless it is, joining a preparation that runs. */
async function ensureLoaded(st: LocalState, size: number, { signal, onProgress }: RenderOptions): Promise<void> {
  if (!st.plan.backend || !st.plan.downloadVariant) throw new Error(localStatus(st).reason);
  if (st.stored && st.loadedSize === size && !st.shared.busy) return;
  await st.shared.run(size, (sharedSignal, report) => prepareModel(st, size, sharedSignal, report), { signal, onProgress });
}

/** Downloads the download variant into the store, reporting MB of MB, speed and ETA. */
async function downloadModel(st: LocalState, variant: Backend, signal: AbortSignal, report: PreparationReporter): Promise<void> {
  const { manifest } = st;
  await st.options.store.download(manifest, {
    variant,
    ...(signal ? { signal } : {}),
    onProgress: (p) => {
      if (p.scope !== 'model' && p.status !== 'downloading') return;
      const { doneBytes, totalBytes, bytesPerSecond, etaSeconds } = p;
      report('downloading', p.fraction, { kind: 'download', model: manifest.displayName, doneBytes, totalBytes, bytesPerSecond, etaSeconds });
    },
  });
}

/** Download if needed, derive if needed, load: the one preparation every caller waits for. */
async function prepareModel(st: LocalState, size: number, signal: AbortSignal, report: PreparationReporter): Promise<void> {
  const { backend, downloadVariant, derived } = st.plan;
  const { manifest, options } = st;
  if (!backend || !downloadVariant) throw new Error(localStatus(st).reason);
  if (!st.stored) {
    await downloadModel(st, downloadVariant, signal, report);
    st.stored = true;
  }
  if (st.loadedSize === size) return;
  const files = await options.store.openFiles(manifest, downloadVariant);
  const { model, source } =
    derived && options.derive
      ? await deriveModel({ manifest, backend: derived, derive: options.derive, files: files.files, signal, report })
      : { model: manifest, source: blobSource(files.files) };
  report('loading', null, null);
  await options.engine.load({ model, source, backend, size }, { signal });
  st.loadedSize = size;
}

/** Re-reads what the store holds and whether the engine still has the model loaded. */
async function refreshStatus(st: LocalState): Promise<LocalStatus> {
  const { downloadVariant } = st.plan;
  if (downloadVariant) st.stored = (await st.options.store.status(st.manifest, downloadVariant)).state === 'ready';
  const engineStatus = await st.options.engine.status();
  if (engineStatus.state === 'unloaded' || engineStatus.state === 'idle') st.loadedSize = null;
  return localStatus(st);
}

/** Loads the model if needed, generates, encodes the PNG and updates the expected draft time. */
async function renderLocally(st: LocalState, request: RenderRequest, renderOptions: RenderOptions): Promise<RenderOutput> {
  const { manifest } = st;
  const started = performance.now();
  const size = request.width === request.height ? request.width : manifest.pipeline.defaultSize;
  await ensureLoaded(st, size, renderOptions);
  const plan = request.initImage ? st.img2imgSteps : st.steps;
  const totalSteps = request.settings === 'hq' ? plan.hq : plan.draft;
  const init = request.initImage ? await decodeInitImage(request.initImage, size, request.strength ?? 0.5) : undefined;
  const image = await st.options.engine.generate(
    // Drafts decode with the tiny decoder when the variant has one (unless asked otherwise, as
    // "Keep" does); High Quality with the VAE decoder.
    {
      prompt: request.prompt,
      seed: request.seed,
      steps: totalSteps,
      decoder: request.decoder ?? (request.settings === 'hq' ? 'full' : 'tiny'),
      ...(init ? { init } : {}),
    },
    {
      ...(renderOptions.signal ? { signal: renderOptions.signal } : {}),
      onProgress: generationProgress(renderOptions.onProgress),
    },
  );
  const png = await st.encodePng(image);
  const total = performance.now() - started;
  if (request.settings === 'draft' && request.decoder !== 'full')
    st.expectedDraftMs = st.expectedDraftMs === null ? image.timings.totalMs : st.expectedDraftMs * 0.7 + image.timings.totalMs * 0.3;
  return {
    image: png,
    width: image.width,
    height: image.height,
    seed: image.seed,
    model: manifest.id,
    engine: image.backend,
    steps: totalSteps,
    timings: stageTimings(image, total),
    costUsd: 0,
    decoder: image.decoder,
  };
}

/**
 * The local half of the router: downloads the model into the store on first
 * use (progress as MB of MB, speed and ETA), loads it into the engine once
 * (sessions warmed), and makes drafts on this device at no cost. Throws
 * {@link NotADraftingModelError} for a manifest that does not draft images
 * (such as the `esrgan-slim` upscaler named by `?model=`).
 */
export function createLocalRenderer(options: LocalRendererOptions): LocalRendererHandle {
  // An upscaler's manifest (say ?model=esrgan-slim) must never reach the drafting engine.
  const manifest = assertDraftingModel(options.manifest);
  const st: LocalState = {
    options,
    manifest,
    steps: options.steps ?? { draft: 1, hq: 4 },
    img2imgSteps: options.img2imgSteps ?? { draft: 2, hq: 4 },
    encodePng: options.encodePng ?? createPngEncoder(),
    plan: planBackend(manifest, options),
    shared: new SharedPreparation(),
    stored: false,
    loadedSize: null,
    expectedDraftMs: null,
  };
  return {
    choice: st.plan.choice,
    downloadVariant: st.plan.downloadVariant,
    status: () => localStatus(st),
    refresh: () => refreshStatus(st),
    async prepare(renderOptions = {}) {
      await ensureLoaded(st, manifest.pipeline.defaultSize, renderOptions);
    },
    preparation: () => st.shared.snapshot,
    onPreparation: (listener) => st.shared.subscribe(listener),
    render: (request, renderOptions) => renderLocally(st, request, renderOptions),
  };
}
