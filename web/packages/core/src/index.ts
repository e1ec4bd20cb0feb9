/**
 * `@hybridgen/core`: the framework-free browser library of hybridgen.
 *
 * @packageDocumentation
 */

export { chooseBackend, WASM32_MEMORY_LIMIT_BYTES } from './backend/choose-backend.js';
export type { Backend, BackendChoice, BackendRejection, ChooseBackendOptions, ModelRequirements, RejectionCode, VariantRequirements } from './backend/types.js';
export { BACKENDS } from './backend/types.js';
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
export * from './engine/index.js';
export { formatBytes, GiB, MiB } from './util/bytes.js';
