import { describe, expect, it } from 'vitest';
import type { CapabilityReport } from '../../capabilities/types.js';
import { fakeCapabilities, fakeWebGPU, NO_ADAPTER } from '../../testing/capabilities.js';
import { GiB, MiB } from '../../util/bytes.js';
import { BackendUnavailableError, ModelTooLargeError } from '../errors.js';
import type { EngineModel } from '../model.js';
import { planBackends } from './select-backend.js';

const pipeline = { kind: 'sd-turbo', textMaxLength: 77, padTokenId: 0, latentChannels: 4, vaeScaleFactor: 8, vaeScalingFactor: 0.18215, defaultSize: 512 };
const variant = (peak: number, f16 = false) => ({
  requirements: { totalBytes: peak / 2, largestBufferBytes: 100 * MiB, peakMemoryBytes: peak, needsShaderF16: f16 },
  files: [],
});
const model: EngineModel = { id: 'sd-turbo', pipeline, variants: { 'webgpu-f16': variant(3e9, true), 'webgpu-f32': variant(3.5e9), wasm: variant(2.2e9) } };

function caps(gpu: { f16: boolean; fallback: boolean } | null): CapabilityReport {
  return fakeCapabilities({
    webgpu: gpu
      ? fakeWebGPU({
          ...gpu,
          maxBuffer: GiB,
          adapter: { vendor: 'v', architecture: 'a' },
          limits: { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 },
        })
      : { ...NO_ADAPTER, message: 'none' },
    storage: { opfs: false, estimate: null, persisted: null },
    device: { deviceMemoryGiB: null, hardwareConcurrency: 4, onLine: true, userAgent: 't' },
    context: 'dedicated-worker',
    durationMs: 0,
  });
}

describe('planBackends', () => {
  it('tries the chosen backend first, then the others that can run (fallbacks); needs no storage', () => {
    expect(planBackends(model, caps({ f16: true, fallback: false }), 'auto').candidates).toEqual(['webgpu-f16', 'webgpu-f32', 'wasm']);
    expect(planBackends(model, caps({ f16: false, fallback: false }), 'auto').candidates).toEqual(['webgpu-f32', 'wasm']);
    expect(planBackends(model, caps(null), 'auto').candidates).toEqual(['wasm']);
  });

  it('never plans fp16 on an adapter without shader-f16, even when asked', () => {
    const plan = planBackends(model, caps({ f16: false, fallback: true }), 'auto', { allowFallbackAdapter: true });
    expect(plan.candidates).not.toContain('webgpu-f16');
    expect(() => planBackends(model, caps({ f16: false, fallback: false }), 'webgpu-f16')).toThrow(BackendUnavailableError);
    expect(() => planBackends(model, caps({ f16: false, fallback: false }), 'webgpu-f16')).toThrow(/no shader-f16/);
  });

  it('prefers WASM over a software adapter unless allowed, keeping the adapter as a fallback', () => {
    expect(planBackends(model, caps({ f16: false, fallback: true }), 'auto').candidates).toEqual(['wasm', 'webgpu-f32']);
    expect(planBackends(model, caps({ f16: false, fallback: true }), 'auto', { allowFallbackAdapter: true }).candidates).toEqual(['webgpu-f32', 'wasm']);
  });

  it('a variant over wasm32 memory fails up front with ModelTooLargeError saying what fits', () => {
    const big: EngineModel = { ...model, variants: { ...model.variants, wasm: variant(5 * GiB) } };
    const forced = (() => {
      try {
        planBackends(big, caps({ f16: false, fallback: false }), 'wasm');
      } catch (error) {
        return error;
      }
    })();
    expect(forced).toBeInstanceOf(ModelTooLargeError);
    expect(forced).toMatchObject({ backend: 'wasm', neededBytes: 5 * GiB, limitBytes: 4 * GiB, fits: ['webgpu-f32'] });
    expect((forced as Error).message).toMatch(/wasm32 addresses at most 4\.3 GB\. The webgpu-f32 variant fits this device/);
    const onlyWasm: EngineModel = { ...model, variants: { wasm: variant(5 * GiB) } };
    expect(() => planBackends(onlyWasm, caps(null), 'auto')).toThrow(/a variant needing at most 4\.3 GB of memory would/);
  });

  it('no backend at all is BackendUnavailableError', () => {
    const gpuOnly: EngineModel = { ...model, variants: { 'webgpu-f16': variant(3e9, true) } };
    expect(() => planBackends(gpuOnly, caps(null), 'auto')).toThrow(BackendUnavailableError);
  });
});
