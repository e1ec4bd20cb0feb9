/** A way to run a model locally. */
export type Backend = 'webgpu-f16' | 'webgpu-f32' | 'wasm';

/** Every backend, in the order they are preferred. */
export const BACKENDS: readonly Backend[] = ['webgpu-f16', 'webgpu-f32', 'wasm'];

/** What one variant of a model needs from the device. */
export interface VariantRequirements {
  /** Bytes of weight files to download and store for this variant. */
  readonly totalBytes: number;
  /** The largest single tensor the variant puts in one GPU buffer (or wasm allocation). */
  readonly largestBufferBytes: number;
  /** Peak memory while the variant runs: GPU memory for WebGPU, the wasm heap for WASM. */
  readonly peakMemoryBytes: number;
  /** The variant does fp16 arithmetic on the GPU and needs `shader-f16`. */
  readonly needsShaderF16: boolean;
}

/** What a model needs, per variant it ships. */
export interface ModelRequirements {
  readonly modelId: string;
  readonly variants: Partial<Readonly<Record<Backend, VariantRequirements>>>;
  /**
   * Per backend, why its graphs cannot run there (operators onnxruntime-web lacks, from the
   * manifest's graph summaries); such a backend is refused with code `unsupported-ops`.
   */
  readonly unsupportedOps?: Partial<Readonly<Record<Backend, string>>>;
}

/** Why a backend was not chosen. */
export type RejectionCode =
  | 'no-variant'
  | 'not-allowed'
  | 'webgpu-unavailable'
  | 'fallback-adapter'
  | 'no-shader-f16'
  | 'buffer-too-large'
  | 'wasm-unsupported'
  | 'wasm-no-simd'
  | 'wasm32-memory'
  | 'device-memory'
  | 'no-storage'
  | 'quota'
  | 'unsupported-ops';

/** A backend that was considered and turned down. */
export interface BackendRejection {
  readonly backend: Backend;
  readonly code: RejectionCode;
  /** A sentence for people, with the numbers that decided it. */
  readonly reason: string;
}

/** The outcome of {@link chooseBackend}. */
export interface BackendChoice {
  /** The chosen backend, or `'none'` when nothing on this device can run the model. */
  readonly backend: Backend | 'none';
  /** Why this backend was chosen, most important first; for `'none'`, what would be needed. */
  readonly reasons: readonly string[];
  /** Every backend considered and turned down, in preference order. */
  readonly rejected: readonly BackendRejection[];
  /** The requirements of the chosen variant, or `null` for `'none'`. */
  readonly variant: VariantRequirements | null;
}

/** Options of {@link chooseBackend}. */
export interface ChooseBackendOptions {
  /**
   * Accept a software (fallback) WebGPU adapter such as SwiftShader even when
   * WASM could run the model. Without this a fallback adapter is used only
   * when WASM cannot.
   */
  readonly allowFallbackAdapter?: boolean;
  /** Only these backends may be chosen. Default: all. */
  readonly allow?: readonly Backend[];
  /** Bytes of each variant already stored on the device (not downloaded again). */
  readonly storedBytes?: Partial<Readonly<Record<Backend, number>>>;
  /** Require persistent storage (OPFS) to keep the weights. Default true. */
  readonly requirePersistentStorage?: boolean;
  /**
   * The WASM thread count inference will use, for the reasons' wording. Default: `defaultWasmThreads`
   * of the device's cores when threads are usable, else 1.
   */
  readonly wasmThreads?: number;
}
