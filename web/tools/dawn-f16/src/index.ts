/**
 * `@hybridgen/dawn-f16`: run WebGPU code (onnxruntime-web's WebGPU EP, the
 * engine's pipeline) in Node on Dawn over Mesa 25 lavapipe, an adapter with
 * `shader-f16`, failing on any WebGPU validation error.
 *
 * @packageDocumentation
 */
export { DawnAdapterError, type DawnGpu, type DawnGpuOptions, getDawnGpu, type RecordedGpuError, recordGpuError, watchDevice } from './dawn.js';
export {
  configureOrtWebForNode,
  installNavigatorGpu,
  loadOrtWebGpu,
  ortWebGpuWasmPath,
  preventWasmTierUp,
  WebGpuValidationError,
  type WithDawnGpuOptions,
  withDawnGpu,
} from './harness.js';
export {
  assertLavapipeEnvironment,
  INSTALL_SCRIPT,
  installLavapipe,
  type LavapipePaths,
  LavapipeUnavailableError,
  lavapipeDir,
  lavapipeEnv,
  lavapipePaths,
} from './lavapipe.js';
