import type { Backend } from '../backend/types.js';
import type { DecoderChoice } from '../engine/types.js';
import type { RouteCode } from './policy.js';

/** A draft is a quick preview; a final is the keeper, rendered at high quality. */
export type Quality = 'draft' | 'final';

/** Where the caller wants the image made: the router decides (`auto`), or forced. */
export type RouteMode = 'auto' | 'local' | 'cloud';

/** Where an image was made. */
export type ImageSource = 'local' | 'cloud';

/** The settings a renderer is asked to use. */
export type RenderSettings = 'draft' | 'hq';

/** Milliseconds spent per stage, e.g. `{ tokenize: 2, text_encoder: 31, unet: 138, vae: 192, total: 370 }`. */
export type StageTimings = Readonly<Record<string, number>>;

/** Progress while a request runs, tagged with where it runs. */
export interface RouteProgress {
  readonly source: ImageSource;
  /** What is happening now. */
  readonly phase: 'downloading' | 'loading' | 'queued' | 'generating' | 'uploading';
  /** 0..1 when known. */
  readonly fraction?: number;
  /** What exactly, as data: the UI words it (`formatProgress` in `@hybridgen/tldraw`). */
  readonly stage?: ProgressStage;
}

/**
 * What a render or the model's preparation is doing, as data (core builds no words for people).
 * `kind` says which; the other fields are its figures.
 */
export type ProgressStage =
  /** The model's download (`model`: its display name). */
  | {
      readonly kind: 'download';
      readonly model: string;
      readonly doneBytes: number;
      readonly totalBytes: number;
      readonly bytesPerSecond: number;
      readonly etaSeconds: number | null;
    }
  /** Building `weights` the device can run from the fp16 download, once; `role` is the graph at work. */
  | { readonly kind: 'derive'; readonly weights: 'fp32' | 'int8'; readonly role: string }
  /** Loading the model into the engine, `elapsedMs` after the preparation started. */
  | { readonly kind: 'load'; readonly elapsedMs: number }
  /** Encoding the init image (image-to-image). */
  | { readonly kind: 'encode' }
  /** UNet step `step` of `of`. */
  | { readonly kind: 'step'; readonly step: number; readonly of: number }
  /** Decoding the latents into pixels. */
  | { readonly kind: 'decode' }
  /** Sending the request to a cloud target (`null`: the server's default). */
  | { readonly kind: 'send'; readonly target: string | null }
  /** A cloud job at `target`: queued, running, or unconfirmed (`notice`: the server's word on it). */
  | { readonly kind: 'cloud-job'; readonly status: 'queued' | 'running' | 'unconfirmed'; readonly target: string; readonly notice?: string };

/** What {@link Router.generate} is asked for. */
export interface GenerateRequest {
  readonly prompt: string;
  readonly negativePrompt?: string;
  /** Random when omitted; the seed used comes back in the result. */
  readonly seed?: number;
  readonly width: number;
  readonly height: number;
  readonly quality: Quality;
  readonly mode: RouteMode;
  /** An image to start from (img2img), e.g. the draft a final should keep the composition of. */
  readonly initImage?: Blob;
  /** For a local render: which decoder makes the pixels. Default: the tiny one for drafts, the full VAE for High Quality. */
  readonly decoder?: DecoderChoice;
  /**
   * Whether a local result is recorded in the ledger as a draft (default true). False for a
   * re-decode of an image already recorded, such as "Keep" (the same latents, the full decoder).
   */
  readonly recordDraft?: boolean;
  /** With `initImage`: how much of it is noised away, (0, 1] (the local engine; default 0.5). */
  readonly strength?: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RouteProgress) => void;
}

/** What a renderer (local or cloud) is asked to make. */
export interface RenderRequest {
  readonly prompt: string;
  readonly negativePrompt?: string;
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly settings: RenderSettings;
  readonly initImage?: Blob;
  /** For a local render: which decoder makes the pixels (see {@link GenerateRequest.decoder}). */
  readonly decoder?: DecoderChoice;
  /** With `initImage`: how much of it is noised away, (0, 1]. */
  readonly strength?: number;
}

/** Options every render call takes. */
export interface RenderOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: RouteProgress) => void;
}

/** What a renderer returns. */
export interface RenderOutput {
  readonly image: Blob;
  readonly width: number;
  readonly height: number;
  readonly seed: number;
  readonly model: string;
  /** Where exactly it ran, e.g. `webgpu-f16`, `wasm` or a cloud target's name. */
  readonly engine: string;
  readonly timings: StageTimings;
  /** UNet steps the renderer ran (the ledger's record of a local draft). */
  readonly steps: number;
  /** What this image cost in USD (0 for local). */
  readonly costUsd: number;
  /** For a local image: the decoder the engine reports it ran (`tiny` when asked and the model has one). */
  readonly decoder?: DecoderChoice;
}

/** What the local engine can do right now. */
export interface LocalStatus {
  /** The model is stored and a backend can run it. */
  readonly available: boolean;
  /** Sessions are loaded: a draft starts without a cold start. */
  readonly warm: boolean;
  readonly backend: Backend | 'none';
  /** Expected milliseconds per draft, from measurements on this device, or `null` if unknown. */
  readonly expectedDraftMs: number | null;
  /** Why it is unavailable, when it is. */
  readonly reason?: string;
}

/** What the cloud path can do right now. */
export interface CloudStatus {
  readonly configured: boolean;
  /** The target's name, e.g. `runpod-sdxl`. */
  readonly target: string | null;
  /** Expected milliseconds per image including queueing, or `null` if unknown. */
  readonly expectedMs: number | null;
  /** Expected USD per draft-sized image: what a local draft saves. */
  readonly draftPriceUsd: number;
}

/** The local half, as the router sees it. */
export interface LocalRenderer {
  status(): LocalStatus;
  render(request: RenderRequest, options: RenderOptions): Promise<RenderOutput>;
}

/** The cloud half, as the router sees it. */
export interface CloudRenderer {
  status(): CloudStatus;
  render(request: RenderRequest, options: RenderOptions): Promise<RenderOutput>;
  /** Records a local draft in the server's ledger at cost 0, with the cloud price it avoided. */
  reportLocalDraft(report: LocalDraftReport): Promise<void>;
}

/** A local draft, reported to the ledger. */
export interface LocalDraftReport {
  readonly model: string;
  readonly engine: string;
  readonly width: number;
  readonly height: number;
  readonly steps: number;
  readonly avoidedCostUsd: number;
  readonly durationMs: number;
}

/** The local path failed and the cloud made the image instead. */
export interface FallbackNote {
  readonly from: ImageSource;
  readonly reason: string;
}

/** What {@link Router.generate} returns. */
export interface GenerateResult extends RenderOutput {
  readonly source: ImageSource;
  readonly settings: RenderSettings;
  /** Why the router sent it where it did, as a code for the UI. */
  readonly routeCode: RouteCode;
  /** Why the router sent it where it did, in words for logs. */
  readonly routeReason: string;
  /** Set when the first choice failed and another path made the image. */
  readonly fallback: FallbackNote | null;
  /** For local images: the cloud price this image did not cost. */
  readonly avoidedCostUsd: number;
}
