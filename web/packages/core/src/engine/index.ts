/**
 * The local engine: SD-Turbo text-to-image on onnxruntime-web (WebGPU or
 * WASM), in a Web Worker by default.
 *
 * @packageDocumentation
 */

export {
  BackendUnavailableError,
  DeviceLostError,
  ENGINE_ERRORS,
  EngineError,
  EngineNotLoadedError,
  InvalidRequestError,
  MalformedModelError,
  ModelFormatError,
  ModelTooLargeError,
} from './errors.js';
export {
  blobSource,
  type EngineModel,
  type ModelFileEntry,
  type ModelFileRole,
  type ModelFileSource,
  type ModelVariant,
} from './model.js';
export { DEFAULT_EMBEDDING_CACHE_SIZE, EmbeddingCache } from './pipeline/embedding-cache.js';
export { type DecoderRange, imageToPngBlob, vaeOutputToRgba } from './pipeline/image.js';
export { addNoise, img2imgSchedule, img2imgStepCount, MAX_INIT_SIDE } from './pipeline/img2img.js';
export { type ExpectedShape, expectedInputShapes, freeDimensionOverrides } from './pipeline/input-shapes.js';
export { readPipelineConfig } from './pipeline/pipeline-config.js';
export { gaussianNoise, MAX_SEED, Pcg32 } from './pipeline/prng.js';
export { eulerSchedule, eulerStep, MAX_STEPS, SD_TURBO_SCHEDULER, scaleModelInput, trailingTimesteps } from './pipeline/scheduler.js';
export { createInPageEngine, InPageEngine, type InPageEngineOptions } from './runtime/in-page-engine.js';
export type { RuntimeOptions } from './runtime/runtime.js';
export { type BackendPlan, planBackends } from './runtime/select-backend.js';
export {
  ClipTokenizer,
  type ClipTokenizerFiles,
  type ClipTokenizerOptions,
  TOKENIZER_FILE_NAMES,
  type TokenizedPrompt,
  type TokenizerFileContent,
} from './tokenizer/tokenizer.js';
export type * from './types.js';
export { type IdleUnloadOptions, unloadWhenHidden, type VisibilitySource } from './worker/idle-unload.js';
export type * as EngineProtocol from './worker/protocol.js';
export { createWorkerEngine, DEFAULT_TIMEOUTS, WorkerEngine, type WorkerEngineOptions } from './worker/worker-engine.js';
export { serveEngine, type WorkerScope } from './worker/worker-host.js';
