/**
 * Model manifests: the JSON files of the repository's `models/` folder, typed and validated.
 *
 * @packageDocumentation
 */

export { loadManifest, ManifestFetchError, resolveManifestBase } from './load.js';
export type { UnsupportedGraph } from './ops.js';
export { unsupportedOps, unsupportedOpsReason, variantUnsupportedGraphs } from './ops.js';
export type { KnownPipelines, OtherPipeline, PipelineConfig, SdTurboPipeline, UpscalerPipeline } from './pipeline.js';
export { isPipeline, PIPELINE_KINDS, parsePipeline } from './pipeline.js';
export type { DraftingManifest } from './registry.js';
export {
  assertDraftingModel,
  BUILTIN_MANIFESTS,
  DRAFTING_PIPELINES,
  getManifest,
  manifestRequirements,
  NotADraftingModelError,
  resolveFileUrl,
  UnknownModelError,
} from './registry.js';
export type { FileRole, GraphDim, GraphSummary, GraphTensor, ManifestFile, ManifestFileSource, ManifestVariant, ModelManifest } from './types.js';
export { FILE_CONVERTERS, FILE_ROLES } from './types.js';
export type { ManifestIssue } from './validate.js';
export { isCleanRelativePath, ManifestError, manifestFiles, parseManifest } from './validate.js';
