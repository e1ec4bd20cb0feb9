/**
 * `@hybridgen/core`: the framework-free browser library of hybridgen.
 *
 * @packageDocumentation
 */

export { chooseBackend, WASM32_MEMORY_LIMIT_BYTES } from './backend/choose-backend.js';
export type { Backend, BackendChoice, BackendRejection, ChooseBackendOptions, ModelRequirements, RejectionCode, VariantRequirements } from './backend/types.js';
export { BACKENDS } from './backend/types.js';
export { defaultWasmThreads, MAX_DEFAULT_WASM_THREADS } from './backend/wasm-threads.js';
export type { DetectCapabilitiesOptions } from './capabilities/detect.js';
export { detectCapabilities } from './capabilities/detect.js';
export type {
  CapabilityReport,
  DeviceHints,
  ExecutionContextKind,
  StorageReport,
  WasmReport,
  WebGPUAdapterInfo,
  WebGPUAvailable,
  WebGPULimits,
  WebGPUReport,
  WebGPUUnavailable,
  WebGPUUnavailableReason,
} from './capabilities/types.js';
export type { CloudClient, CloudClientOptions, WaitOptions } from './cloud/client.js';
export { createCloudClient } from './cloud/client.js';
export type { DraftQueue, DraftQueueOptions } from './cloud/draft-queue.js';
export { createDraftQueue, isTransientCloudError } from './cloud/draft-queue.js';
export type { FieldProblem } from './cloud/errors.js';
export { BudgetExceededError, CloudApiError, CloudJobError, CloudUnreachableError, RateLimitedError, UnauthorizedError } from './cloud/errors.js';
export type { CloudRendererOptions } from './cloud/renderer.js';
export { cloudSize, createCloudRenderer } from './cloud/renderer.js';
export type { AssetView, DraftReportBody, ImageRequestBody, JobStatus, JobView, LocalTask, ServerConfig, UsageReport, UsageRow } from './cloud/wire.js';
export { FINAL_JOB_STATUSES } from './cloud/wire.js';
export * from './engine/index.js';
export * from './imaging/index.js';
export type { LocalRendererHandle, LocalRendererOptions } from './local/local-renderer.js';
export { createLocalRenderer } from './local/local-renderer.js';
export type { PngApi, PngEncoder, PngEncoderOptions } from './local/png-encoder.js';
export { createPngEncoder, servePngEncoder } from './local/png-encoder.js';
export type { LocalPreparation, LocalPreparationState } from './local/preparation.js';
export type { DerivationFiles, DerivedInputs, DeriveProgress, DeriveRequest, VariantDeriver } from './local/variant-deriver.js';
export * from './models/index.js';
export * from './onnx/index.js';
export type { RouteAttempt } from './router/errors.js';
export { AllRoutesFailedError, NoRouteError } from './router/errors.js';
export type { NoRoute, RouteCode, RouteInput, RoutePlan } from './router/policy.js';
export { decideRoute } from './router/policy.js';
export type { Router, RouterOptions } from './router/router.js';
export { createRouter } from './router/router.js';
export type {
  CloudRenderer,
  CloudStatus,
  FallbackNote,
  GenerateRequest,
  GenerateResult,
  ImageSource,
  LocalDraftReport,
  LocalRenderer,
  LocalStatus,
  ProgressStage,
  Quality,
  RenderOptions,
  RenderOutput,
  RenderRequest,
  RenderSettings,
  RouteMode,
  RouteProgress,
  StageTimings,
} from './router/types.js';
export * from './rpc/index.js';
export * from './store/index.js';
export { formatBytes, GiB, MiB } from './util/bytes.js';
export { blobToDataUrl } from './util/data-url.js';
