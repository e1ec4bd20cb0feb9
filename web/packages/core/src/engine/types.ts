/**
 * The local engine's public interface: one {@link LocalEngine}, used in the
 * page ({@link createInPageEngine}) or, by default, through a dedicated Web
 * Worker ({@link createWorkerEngine}). Every payload is plain data.
 */

import type { Backend, BackendRejection, ChooseBackendOptions } from '../backend/types.js';
import type { EngineModel, ModelFileSource } from './model.js';

/** Options every operation takes. */
export interface EngineCallOptions {
  /** Aborts the operation; it rejects with `signal.reason`. */
  readonly signal?: AbortSignal;
  /** Milliseconds before the call rejects with `CallTimeoutError` (worker engine; default per operation). */
  readonly timeoutMs?: number;
  /** Progress of this call. */
  readonly onProgress?: (progress: EngineProgress) => void;
}

/** What `load` needs. */
export interface EngineLoadRequest {
  readonly model: EngineModel;
  /** Where the files come from: URLs or Blobs (OPFS Files). */
  readonly source: ModelFileSource;
  /** A backend to use, or `'auto'` (default) to let {@link chooseBackend} decide from the device's capabilities. */
  readonly backend?: Backend | 'auto';
  /** Passed to `chooseBackend` for `'auto'` (e.g. `allowFallbackAdapter`). `requirePersistentStorage` defaults to false here. */
  readonly choose?: ChooseBackendOptions;
  /** Image size the sessions are specialised for (multiple of 8·vaeScaleFactor/8; default the manifest's `defaultSize`). */
  readonly size?: number;
  /**
   * Make one throw-away run before returning. Default: on WebGPU (it compiles the shaders, so the
   * first draft is fast), not on WASM (it would cost a whole draft and speed up nothing).
   */
  readonly warmUp?: boolean;
}

/** A backend the engine gave up on, and why. */
export interface BackendFallback {
  readonly from: Backend;
  readonly to: Backend | 'none';
  readonly reason: string;
}

/** What `load` returns. */
export interface EngineLoadResult {
  readonly modelId: string;
  readonly backend: Backend;
  /** Why this backend (from chooseBackend, or "requested by the caller"). */
  readonly reasons: readonly string[];
  /** Backends chooseBackend turned down. */
  readonly rejected: readonly BackendRejection[];
  /** Backends that were tried and failed before this one. */
  readonly fallbacks: readonly BackendFallback[];
  readonly size: number;
  /** Threads of ORT's WASM runtime (more than 1 only when cross-origin isolated, and never on a window's main thread). */
  readonly wasmThreads: number;
  /** I/O element types read from the sessions' metadata, per role. */
  readonly ioTypes: Readonly<Record<string, string>>;
  readonly timings: { readonly readFilesMs: number; readonly createSessionsMs: number; readonly warmUpMs: number; readonly totalMs: number };
}

/** What `generate` needs. */
export interface EngineGenerateRequest {
  readonly prompt: string;
  /** uint32; random when omitted. Returned with the image. */
  readonly seed?: number;
  /** 1 to 4 (default 1). */
  readonly steps?: number;
  /**
   * `'tiny'`: decode with the variant's tiny decoder when it has one (drafts: ~10x cheaper than the
   * VAE decoder), else the VAE decoder. `'full'` (default): the VAE decoder.
   */
  readonly decoder?: DecoderChoice;
  /**
   * Image-to-image: start from this image instead of noise. The engine encodes it with the
   * variant's tiny encoder (loaded on the first such call), noises it to `strength` and runs the
   * UNet for `max(1, ceil(steps x strength))` steps (see `img2img.ts`).
   */
  readonly init?: InitImage;
}

/** The image an image-to-image run starts from. */
export interface InitImage {
  /** RGBA bytes, row-major, top row first (alpha ignored); resized to the session size when it differs. */
  readonly rgba: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
  /** (0, 1]: how much of the image is noised away (1: only its composition's faintest trace stays). */
  readonly strength: number;
}

/** Which decoder turns latents into pixels: the VAE decoder, or the tiny (TAESD-class) one. */
export type DecoderChoice = 'full' | 'tiny';

/** Per-stage timings of one generation, in milliseconds. */
export interface GenerationTimings {
  readonly tokenizeMs: number;
  /** 0 when the prompt's embedding came from the cache. */
  readonly textEncoderMs: number;
  /** True when the text encoder was skipped: the same token ids were encoded recently. */
  readonly textEncoderCached: boolean;
  readonly unetStepMs: readonly number[];
  /** The decoder's run, whichever decoder ran (see {@link GeneratedImage.decoder}). */
  readonly vaeMs: number;
  /** Sum of the `session.run` calls (text encoder, every UNet step, decoder). */
  readonly sessionRunMs: number;
  /** From the start of `generate` to the image in hand (engine side). */
  readonly totalMs: number;
  /** Image-to-image: the encoder's run (and its session's creation on first use). */
  readonly encoderMs?: number;
}

/** How the engine recovered from a failure during this call. */
export interface EngineRecovery {
  readonly kind: 'reloaded' | 'fell-back' | 'worker-restarted';
  readonly from: Backend;
  readonly to: Backend;
  readonly reason: string;
}

/** An image from `generate`: RGBA bytes, row-major, top row first. */
export interface GeneratedImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8ClampedArray;
  readonly seed: number;
  readonly steps: number;
  readonly prompt: string;
  /** The decoder that ran (`'full'` when `'tiny'` was asked but the variant has no tiny decoder). */
  readonly decoder: DecoderChoice;
  readonly backend: Backend;
  readonly modelId: string;
  readonly timings: GenerationTimings;
  /** Image-to-image: the strength the init image was noised to. */
  readonly strength?: number;
  /** Set when the model had to be (re)loaded for this call. */
  readonly reloaded?: boolean;
  /** Set when the engine recovered from a device loss or crash for this call. */
  readonly recovery?: EngineRecovery;
}

/** What the engine is doing. */
export type EngineState = 'idle' | 'loading' | 'ready' | 'generating' | 'unloaded' | 'device-lost';

/** What `status` returns. */
export interface EngineStatus {
  readonly state: EngineState;
  readonly modelId: string | null;
  readonly backend: Backend | null;
  readonly size: number | null;
  /** True when the engine holds a load request it can reload on demand. */
  readonly canReload: boolean;
  /** Where the engine runs. */
  readonly host: 'page' | 'worker';
  readonly lastError: string | null;
}

/** What `unload` returns. */
export interface EngineUnloadResult {
  /** Sessions released by this call (0 when nothing was loaded). */
  readonly releasedSessions: number;
}

/** Progress of a call, tied to it (in the worker protocol, by request id). */
export type EngineProgress =
  | { readonly stage: 'download'; readonly path: string; readonly loadedBytes: number; readonly totalBytes: number | null }
  | { readonly stage: 'create-session'; readonly role: string; readonly backend: Backend }
  | { readonly stage: 'warm-up' }
  | { readonly stage: 'tokenize' | 'text-encoder' | 'encoder' | 'vae' }
  | { readonly stage: 'unet'; readonly step: number; readonly steps: number };

/** Test and diagnostics hooks; not for production use. */
export type EngineDebugAction =
  /** Destroys the WebGPU device the engine uses (simulates a device loss). */
  | { readonly kind: 'destroy-device' }
  /** Kills the host with an uncaught error (in a worker: the worker dies). */
  | { readonly kind: 'crash' };

/**
 * One engine, in the page or in a worker. Calls are queued: one runs at a
 * time, in order.
 */
export interface LocalEngine {
  /** Creates the sessions (text encoder, UNet, VAE decoder) and warms the shaders. Replaces any loaded model. */
  load(request: EngineLoadRequest, options?: EngineCallOptions): Promise<EngineLoadResult>;
  /** Makes one image. Reloads the last model first when it was unloaded (idle, device loss). */
  generate(request: EngineGenerateRequest, options?: EngineCallOptions): Promise<GeneratedImage>;
  /** Releases the sessions and their GPU buffers; the model reloads on the next `generate`. */
  unload(options?: EngineCallOptions): Promise<EngineUnloadResult>;
  status(options?: EngineCallOptions): Promise<EngineStatus>;
  /** Test hooks (device loss, crash). */
  debug(action: EngineDebugAction, options?: EngineCallOptions): Promise<void>;
  /** Stops the engine for good (terminates the worker). Pending calls reject. */
  dispose(): void;
}
