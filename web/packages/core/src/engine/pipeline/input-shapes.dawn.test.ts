/**
 * The engine's static shapes on an adapter WITH shader-f16 (Dawn over Mesa 25 lavapipe in Node),
 * on the fp16 graphs the published files are: pinning the text encoder's `sequence_length` must not
 * change `last_hidden_state` (the ORT Web demo left it free on 1.17 because of a bad image), and
 * pinning the UNet's `steps` must still create a working session (the demo says it failed).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getDawnGpu, loadOrtWebGpu, withDawnGpu } from '@hybridgen/dawn-f16';
import { generateTestModels } from '@hybridgen/testmodels';
import type * as OrtWeb from 'onnxruntime-web/webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import { onnxGraphInputs } from '../../onnx/graph-scan.js';
import { expectedInputShapes, freeDimensionOverrides } from './input-shapes.js';

const out = mkdtempSync(join(tmpdir(), 'hg-shapes-f16-'));
const { modelDir, manifest } = generateTestModels({ outDir: out });
afterAll(() => rmSync(out, { recursive: true, force: true }));
const pipeline = manifest.pipeline;

/** Runs the graph once with `overrides`, the engine's other session options, and returns the output's float32 values. */
async function runWith(ort: typeof OrtWeb, bytes: Uint8Array, overrides: Record<string, number>, feeds: Record<string, OrtWeb.Tensor>, output: string) {
  const session = await ort.InferenceSession.create(bytes, {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
    enableMemPattern: false,
    enableCpuMemArena: false,
    freeDimensionOverrides: overrides,
  });
  try {
    const result = await session.run(feeds);
    return Float32Array.from((await result[output]?.getData()) as Float32Array);
  } finally {
    await session.release();
  }
}

function bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

describe('static shapes on fp16 graphs (Dawn + lavapipe, shader-f16)', () => {
  it('text encoder: sequence_length pinned or free gives bit-identical last_hidden_state; UNet: steps pinned runs', async () => {
    const dawn = await getDawnGpu();
    expect(dawn.hasShaderF16).toBe(true);
    const ort = await loadOrtWebGpu({ device: await dawn.requestDevice() });
    const expected = expectedInputShapes(pipeline, pipeline.defaultSize);
    const result = await withDawnGpu(async () => {
      const text = readFileSync(join(modelDir, 'fp16', 'text_encoder', 'model.onnx'));
      const pinned = freeDimensionOverrides('text_encoder', onnxGraphInputs(text), expected);
      const ids = new ort.Tensor(
        'int32',
        Int32Array.from({ length: 77 }, (_, i) => (i === 0 ? 254 : i < 9 ? 10 + 17 * i : i === 9 ? 255 : 0)),
        [1, 77],
      );
      const textPinned = await runWith(ort, text, pinned, { input_ids: ids }, 'last_hidden_state');
      const textFree = await runWith(ort, text, { batch_size: 1 }, { input_ids: ids }, 'last_hidden_state');

      const unet = readFileSync(join(modelDir, 'fp16', 'unet', 'model.onnx'));
      const unetPinned = freeDimensionOverrides('unet', onnxGraphInputs(unet), expected);
      const latent = pipeline.defaultSize / pipeline.vaeScaleFactor;
      const feeds = {
        sample: new ort.Tensor(
          'float32',
          Float32Array.from({ length: 4 * latent * latent }, (_, i) => Math.sin(i * 0.37)),
          [1, 4, latent, latent],
        ),
        timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
        encoder_hidden_states: new ort.Tensor('float32', textPinned, [1, 77, textPinned.length / 77]),
      };
      const unetOut = await runWith(ort, unet, unetPinned, feeds, 'out_sample');
      return { pinned, textPinned, textFree, unetPinned, unetOut };
    });
    expect(result.pinned).toEqual({ batch_size: 1, sequence_length: 77 });
    expect(result.textPinned.some((v) => v !== 0)).toBe(true);
    expect(bits(result.textPinned)).toEqual(bits(result.textFree));
    expect(result.unetPinned).toMatchObject({ steps: 1, sequence_length: 77 });
    expect(result.unetOut.length).toBe(4 * (pipeline.defaultSize / pipeline.vaeScaleFactor) ** 2);
    expect(result.unetOut.every(Number.isFinite)).toBe(true);
  });
});
