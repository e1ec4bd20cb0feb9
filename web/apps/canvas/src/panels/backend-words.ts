import type { BackendChoice } from '@hybridgen/core';

/** "WebGPU (fp16)", "WebGPU (fp32)" or "WebAssembly": how people name the backends. */
export function backendName(backend: BackendChoice['backend']): string {
  switch (backend) {
    case 'webgpu-f16':
      return 'WebGPU (fp16)';
    case 'webgpu-f32':
      return 'WebGPU (fp32)';
    case 'wasm':
      return 'WebAssembly';
    default:
      return 'nothing on this device';
  }
}

/**
 * Why WebGPU is or is not used, in one sentence: the chosen backend's first reason when it is
 * WebGPU, else the reason WebGPU was turned down (a software adapter, no adapter at all, a
 * missing feature). Decided on the rejection codes, worded from their reasons.
 */
export function webgpuVerdict(choice: BackendChoice): string {
  if (choice.backend.startsWith('webgpu')) return `WebGPU is used: ${choice.reasons[0] ?? 'the adapter can run the model'}`;
  const rejected = choice.rejected.filter((r) => r.backend.startsWith('webgpu') && r.code !== 'no-variant' && r.code !== 'not-allowed');
  const decisive =
    rejected.find((r) => r.code === 'webgpu-unavailable') ??
    rejected.find((r) => r.code === 'fallback-adapter') ??
    rejected.find((r) => r.code !== 'no-shader-f16') ??
    rejected[0];
  return decisive ? `WebGPU is not used: ${decisive.reason}` : 'WebGPU is not used: this model ships no WebGPU weights';
}
