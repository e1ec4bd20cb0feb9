/**
 * The local engine: SD-Turbo text-to-image on onnxruntime-web (WebGPU or
 * WASM), in a Web Worker by default.
 *
 * @packageDocumentation
 */

export { DEFAULT_EMBEDDING_CACHE_SIZE, EmbeddingCache } from './embedding-cache.js';
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
export { type IdleUnloadOptions, unloadWhenHidden, type VisibilitySource } from './idle-unload.js';
export { type DecoderRange, imageToPngBlob, vaeOutputToRgba } from './image.js';
export { addNoise, img2imgSchedule, img2imgStepCount, MAX_INIT_SIDE } from './img2img.js';
export { createInPageEngine, InPageEngine, type InPageEngineOptions } from './in-page-engine.js';
export { type ExpectedShape, expectedInputShapes, freeDimensionOverrides } from './input-shapes.js';
export {
  blobSource,
  type EngineModel,
  type ModelFileEntry,
  type ModelFileRole,
  type ModelFileSource,
  type ModelVariant,
  type PipelineConfig,
} from './model.js';
export { readPipelineConfig } from './pipeline-config.js';
export { gaussianNoise, MAX_SEED, Pcg32 } from './prng.js';
export type * as EngineProtocol from './protocol.js';
export type { RuntimeOptions } from './runtime.js';
export { eulerSchedule, eulerStep, MAX_STEPS, SD_TURBO_SCHEDULER, scaleModelInput, trailingTimesteps } from './scheduler.js';
export { type BackendPlan, planBackends } from './select-backend.js';
export {
  ClipTokenizer,
  type ClipTokenizerFiles,
  type ClipTokenizerOptions,
  TOKENIZER_FILE_NAMES,
  type TokenizedPrompt,
  type TokenizerFileContent,
} from './tokenizer.js';
export type * from './types.js';
export { createWorkerEngine, DEFAULT_TIMEOUTS, WorkerEngine, type WorkerEngineOptions } from './worker-engine.js';
export { serveEngine, type WorkerScope } from './worker-host.js';
