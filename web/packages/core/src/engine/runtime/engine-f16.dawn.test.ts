/**
 * The fp16-weight test model through the engine's own pipeline code on an
 * adapter WITH shader-f16 (Dawn over Mesa 25 lavapipe in Node; Chromium here
 * has none), compared with the fp32 model on onnxruntime-node. Any WebGPU
 * validation error fails the run (withDawnGpu).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDawnGpu, ortWebGpuWasmPath, preventWasmTierUp, withDawnGpu } from '@hybridgen/dawn-f16';
import { generateTestModels } from '@hybridgen/testmodels';
import { afterAll, describe, expect, it } from 'vitest';
import { pixelDifference, referenceImage } from '../../../../../tests/harness/engine-reference.js';
import type { EngineModel, ModelFileSource } from '../model.js';
import { createInPageEngine } from './in-page-engine.js';

/** fp16 weights and activations on the GPU vs fp32 on the CPU, in 0..255 levels per channel. */
const F16_TOLERANCE = { max: 8, mean: 1 };

const out = mkdtempSync(join(tmpdir(), 'hg-engine-f16-'));
const { modelDir } = generateTestModels({ outDir: out });
afterAll(() => rmSync(out, { recursive: true, force: true }));

function blobs(model: EngineModel): ModelFileSource {
  const files: Record<string, Blob> = {};
  for (const variant of Object.values(model.variants)) for (const f of variant?.files ?? []) files[f.path] = new Blob([readFileSync(join(modelDir, f.path))]);
  return { kind: 'blobs', files };
}

describe('engine on a shader-f16 adapter (Dawn + lavapipe)', () => {
  it('chooses webgpu-f16, runs the fp16 graphs and matches the fp32 reference within tolerance', async () => {
    preventWasmTierUp();
    const dawn = await getDawnGpu();
    expect(dawn.hasShaderF16).toBe(true);
    const model = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as EngineModel;
    const request = { prompt: 'a photo of a cat', seed: 7, steps: 2 };
    const result = await withDawnGpu(async () => {
      const engine = createInPageEngine({
        runtime: { wasmBinary: readFileSync(ortWebGpuWasmPath()), numThreads: 1, webgpuDevice: await dawn.requestDevice() },
      });
      try {
        // lavapipe is a software adapter: allowed, as in the Chromium tests.
        const load = await engine.load({ model, source: blobs(model), choose: { allowFallbackAdapter: true } });
        const image = await engine.generate(request);
        const again = await engine.generate(request);
        return { load, image, again };
      } finally {
        await engine.unload();
        engine.dispose();
      }
    });
    expect(result.load.backend).toBe('webgpu-f16');
    expect(result.load.fallbacks).toEqual([]);
    expect(result.image.backend).toBe('webgpu-f16');
    expect(result.again.rgba).toEqual(result.image.rgba);
    const reference = await referenceImage({ modelDir, precision: 'fp32', size: 64, ...request });
    const diff = pixelDifference(new Uint8Array(result.image.rgba.buffer), reference);
    console.log('engine fp16 on Dawn/lavapipe vs fp32 on onnxruntime-node, RGBA levels:', diff);
    expect(diff.max).toBeLessThanOrEqual(F16_TOLERANCE.max);
    expect(diff.mean).toBeLessThanOrEqual(F16_TOLERANCE.mean);
  });
});
