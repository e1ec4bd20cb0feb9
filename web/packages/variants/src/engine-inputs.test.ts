import type { EngineModel, ModelVariant } from '@hybridgen/core';
import { describe, expect, it } from 'vitest';
import { derivedKindFor, engineInputsFor } from './engine-inputs.js';

describe('engine inputs for derived variants', () => {
  it('maps backends to the variant they derive', () => {
    expect([derivedKindFor('webgpu-f16'), derivedKindFor('webgpu-f32'), derivedKindFor('wasm')]).toEqual([null, 'fp32', 'int8']);
  });

  it('replaces the backend variant and serves the stored files', () => {
    const f16: ModelVariant = { requirements: { totalBytes: 1, largestBufferBytes: 1, peakMemoryBytes: 1, needsShaderF16: true }, files: [] };
    const derived: ModelVariant = { requirements: { totalBytes: 2, largestBufferBytes: 2, peakMemoryBytes: 2, needsShaderF16: false }, files: [] };
    const model = { id: 'm', pipeline: {} as EngineModel['pipeline'], variants: { 'webgpu-f16': f16 } } satisfies EngineModel;
    const blob = new Blob(['x']);
    const inputs = engineInputsFor(model, 'webgpu-f32', { variant: derived, files: { 'unet/model.onnx': blob } });
    expect(inputs.model.variants).toEqual({ 'webgpu-f16': f16, 'webgpu-f32': derived });
    expect(inputs.source).toEqual({ kind: 'blobs', files: { 'unet/model.onnx': blob } });
    expect(model.variants).toEqual({ 'webgpu-f16': f16 });
  });
});
