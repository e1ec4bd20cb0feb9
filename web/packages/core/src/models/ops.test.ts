import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chooseBackend } from '../backend/choose-backend.js';
import { fakeCapabilities, fakeWebGPU } from '../testing/capabilities.js';
import { unsupportedOps, variantUnsupportedGraphs } from './ops.js';
import { manifestRequirements } from './registry.js';
import type { GraphSummary } from './types.js';
import { parseManifest } from './validate.js';

// The shared testdata manifest whose UNet summary uses com.microsoft BiasSplitGelu (a WebGPU kernel only).
const testdata = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../../models/testdata/valid/integrity-and-graph.json');

const graph = (ops: Record<string, string[]>): GraphSummary => ({
  opsets: { 'ai.onnx': 17 },
  inputs: [{ name: 'sample', type: 'float32', shape: ['batch_size', 4, 'height', 'width'] }],
  outputs: [{ name: 'out_sample', type: 'float32', shape: ['batch_size', 4, 'height', 'width'] }],
  ops,
});

describe('operator support per backend', () => {
  it('follows the cited kernel table: standard ops always, contrib ops only where a kernel exists', () => {
    const diffusersUnet = graph({ 'ai.onnx': ['Conv', 'Gemm', 'Resize'], 'com.microsoft': ['BiasSplitGelu', 'GroupNorm', 'Gelu'] });
    expect(unsupportedOps(diffusersUnet, 'wasm')).toEqual(['com.microsoft.BiasSplitGelu', 'com.microsoft.GroupNorm']);
    expect(unsupportedOps(diffusersUnet, 'webgpu-f16')).toEqual(['com.microsoft.GroupNorm']);
    expect(unsupportedOps(graph({ 'ai.onnx': ['Conv'], 'com.example': ['Magic'] }), 'webgpu-f32')).toEqual(['com.example.Magic']);
    expect(unsupportedOps(graph({ 'ai.onnx': ['Conv', 'Einsum'] }), 'wasm')).toEqual([]);
  });

  it('refuses, before any download, a backend whose graphs use operators it lacks, with a typed reason', () => {
    const manifest = parseManifest(JSON.parse(readFileSync(testdata, 'utf8')));
    expect(variantUnsupportedGraphs(manifest, 'wasm')).toEqual([{ path: 'unet/model.onnx', ops: ['com.microsoft.BiasSplitGelu'] }]);
    const requirements = manifestRequirements(manifest);
    const wasmOnly = fakeCapabilities({ webgpu: { available: false, reason: 'no-adapter', message: 'no adapter' } });
    const choice = chooseBackend(wasmOnly, requirements, { requirePersistentStorage: false });
    expect(choice.backend).toBe('none');
    expect(choice.rejected).toContainEqual({
      backend: 'wasm',
      code: 'unsupported-ops',
      reason: 'unet/model.onnx uses com.microsoft.BiasSplitGelu: onnxruntime-web has no CPU (WASM) kernel for it',
    });
    // The same graphs as a webgpu variant run: BiasSplitGelu has a WebGPU kernel.
    const asWebGPU = parseManifest({ ...manifest, variants: { 'webgpu-f16': manifest.variants.wasm } });
    const gpu = chooseBackend(fakeCapabilities({ webgpu: fakeWebGPU({ f16: true }) }), manifestRequirements(asWebGPU), { requirePersistentStorage: false });
    expect(gpu.backend).toBe('webgpu-f16');
  });

  it('judges nothing for a manifest without summaries (sd-turbo before its first pull)', () => {
    const manifest = parseManifest(JSON.parse(readFileSync(resolve(dirname(testdata), '../../sd-turbo.json'), 'utf8')));
    expect(manifestRequirements(manifest).unsupportedOps).toBeUndefined();
  });
});
