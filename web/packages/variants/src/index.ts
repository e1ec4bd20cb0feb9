/**
 * Model variants built on the device after download: fp16 -> fp32
 * conversion for GPUs without `shader-f16`, weight-only int8 for the WASM
 * backend, and the memory budget check that decides which variant fits.
 *
 * @packageDocumentation
 */

export {
  type GraphFacts,
  type ModelFileFacts,
  pickFittingVariant,
  type RequirementsOptions,
  requirementsFromFacts,
  requirementsFromFiles,
  type ScannedRequirements,
  scanModelFile,
  type VariantCandidate,
  type VariantGraphFile,
} from './budget.js';
export {
  type BuildProgress,
  type BuildVariantRequest,
  type BuiltVariant,
  buildVariant,
  estimateVariantBytes,
  type OutputTree,
  VARIANT_FILE,
  type VariantKind,
} from './build.js';
export { derivedKindFor, engineInputsFor } from './engine-inputs.js';
export { UnsupportedModelError, VARIANT_ERRORS, VariantError, VariantQuotaError } from './errors.js';
export { openStoredVariant, opfsDirectory, opfsFolder, opfsTree } from './opfs.js';
export { ExternalDataWriter, MemoryFolder, type OutputFile, type OutputFolder, PARTIAL_SUFFIX } from './output.js';
export {
  createVariantDeriver,
  type DerivationSource,
  type EnsureDerivedVariantOptions,
  type EnsuredVariant,
  ensureDerivedVariant,
  estimateDerivedRequirements,
  type VariantDeriverOptions,
  withEstimatedDerivedVariants,
} from './prepare.js';
export type { QuantizableOp, QuantizeOptions } from './quantize.js';
export type { ExternalDataResolver } from './scan.js';
export { convertToFloat32, quantizeWeightsInt8, type TransformOptions, type TransformProgress, type TransformResult } from './transform.js';
export {
  type BuildCallOptions,
  type BuildPayload,
  createVariantBuilder,
  serveVariantBuilder,
  type VariantBuilder,
  type VariantBuilderOptions,
  type VariantWorkerScope,
} from './worker.js';
export type { VariantApi } from './worker-protocol.js';
