/**
 * Proves the shader-f16 path: the fp16 test model runs on onnxruntime-web's
 * WebGPU EP over Dawn + lavapipe (an adapter with shader-f16) and matches the
 * fp32 model on onnxruntime-node; and the harness fails runs with WebGPU
 * validation errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GeneratedTestModel, type GraphRole, generateTestModels, loadTokenizer } from '@hybridgen/testmodels';
import { type FloatTensor, maxAbsDiff, ReferenceRunner, rms } from '@hybridgen/testmodels/reference';
import type * as OrtWeb from 'onnxruntime-web/webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DawnGpu, getDawnGpu } from './dawn.js';
import { loadOrtWebGpu, WebGpuValidationError, withDawnGpu } from './harness.js';

/** fp16 on the GPU (fp16 activations too) vs fp32 on the CPU: max |diff| <= this x rms(fp32 output). */
const F16_GPU_TOLERANCE = 0.06;
/** fp32 on ORT-web's WASM EP vs fp32 on onnxruntime-node: only summation order differs. */
const F32_TOLERANCE = 1e-3;

function gaussian(seed: number, count: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  return Float32Array.from({ length: count }, () => scale * Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next()));
}

describe('Dawn + lavapipe with shader-f16', () => {
  let dir: string;
  let model: GeneratedTestModel;
  let dawn: DawnGpu;
  let ort: typeof OrtWeb;
  let reference: ReferenceRunner;
  let expected: Record<GraphRole, FloatTensor>;
  let feeds: Record<GraphRole, Record<string, OrtWeb.Tensor>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dawn-f16-'));
    model = generateTestModels({ outDir: dir });
    dawn = await getDawnGpu();
    ort = await loadOrtWebGpu({ device: await dawn.requestDevice() });
    reference = await ReferenceRunner.create({ modelDir: model.modelDir, precision: 'fp32' });
    const ids = loadTokenizer(model.tokenizerDir).encode('a photo of a cat').ids;
    const context = await reference.textEncoder(ids);
    const sample: FloatTensor = { data: gaussian(1, 4 * 8 * 8), dims: [1, 4, 8, 8] };
    const latents: FloatTensor = { data: gaussian(2, 4 * 8 * 8, 5), dims: [1, 4, 8, 8] };
    expected = { text_encoder: context, unet: await reference.unet(sample, 999, context), vae_decoder: await reference.vaeDecoder(latents) };
    feeds = {
      text_encoder: { input_ids: new ort.Tensor('int32', ids, [1, 77]) },
      unet: {
        sample: new ort.Tensor('float32', sample.data, sample.dims),
        timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
        encoder_hidden_states: new ort.Tensor('float32', context.data, context.dims),
      },
      vae_decoder: { latent_sample: new ort.Tensor('float32', latents.data, latents.dims) },
    };
  });

  /** Runs one variant's three graphs on an ORT-web EP; returns max |diff| / rms against fp32 on onnxruntime-node per graph. */
  async function compare(precision: 'fp32' | 'fp16', executionProvider: 'webgpu' | 'wasm'): Promise<Partial<Record<GraphRole, number>>> {
    const outputName: Record<GraphRole, string> = { text_encoder: 'last_hidden_state', unet: 'out_sample', vae_decoder: 'sample' };
    const result: Partial<Record<GraphRole, number>> = {};
    for (const role of ['unet', 'text_encoder', 'vae_decoder'] as const) {
      const session = await ort.InferenceSession.create(readFileSync(model.graphs[precision][role]), { executionProviders: [executionProvider] });
      try {
        const out = (await session.run(feeds[role]))[outputName[role]];
        expect(out?.type).toBe('float32');
        expect(out?.dims).toEqual(expected[role].dims);
        const data = out?.data as Float32Array;
        expect(data.every(Number.isFinite)).toBe(true);
        result[role] = maxAbsDiff(data, expected[role].data) / rms(expected[role].data);
      } finally {
        await session.release();
      }
    }
    return result;
  }
  afterAll(async () => {
    await reference?.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('offers an adapter with shader-f16 (lavapipe)', () => {
    expect(dawn.hasShaderF16).toBe(true);
    expect(`${dawn.adapterInfo.description} ${dawn.adapterInfo.device} ${dawn.adapterInfo.architecture}`.toLowerCase()).toMatch(/llvmpipe|lavapipe/);
  });

  it('runs the fp16 UNet, text encoder and VAE decoder on WebGPU and matches fp32 on onnxruntime-node', async () => {
    const errors = await withDawnGpu(() => compare('fp16', 'webgpu'));
    console.log('fp16 on Dawn/lavapipe vs fp32 on onnxruntime-node, max |diff| / rms:', errors);
    for (const [role, error] of Object.entries(errors)) expect(error, role).toBeLessThan(F16_GPU_TOLERANCE);
  });

  // fp32 on WebGPU is the browser tests' job (SwiftShader in Chromium); on lavapipe a cold shader cache costs minutes.
  it('runs the fp32 variant on the WASM EP of onnxruntime-web and matches onnxruntime-node', async () => {
    const wasm = await compare('fp32', 'wasm');
    console.log('fp32 on ORT-web WASM vs onnxruntime-node, max |diff| / rms:', wasm);
    for (const [role, error] of Object.entries(wasm)) expect(error, role).toBeLessThan(F32_TOLERANCE);
  });

  it('fails a run that causes a WebGPU validation error', async () => {
    const run = withDawnGpu(async () => {
      const device = await dawn.requestDevice();
      // MAP_READ together with MAP_WRITE is invalid: an uncaptured validation error.
      device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.MAP_WRITE });
      await device.queue.onSubmittedWorkDone();
      await new Promise((resolve) => setTimeout(resolve, 50));
      device.destroy();
      return 'finished';
    });
    await expect(run).rejects.toThrow(WebGpuValidationError);
    await expect(run).rejects.toThrow(/MAP_READ|usage/i);
  });

  it('fails a run during which WebGPU errors were logged to the console, and passes a clean one', async () => {
    const silent = console.error;
    console.error = () => {};
    try {
      const logged = withDawnGpu(async () => {
        console.error('[WebGPU] Validation error: Invalid BindGroup (as logged by a browser)');
        return 'finished';
      });
      await expect(logged).rejects.toThrow(WebGpuValidationError);
    } finally {
      console.error = silent;
    }
    await expect(withDawnGpu(async () => 'clean')).resolves.toBe('clean');
  });

  it('writes SharedArrayBuffer-backed data to GPU buffers (patched writeBuffer)', async () => {
    const values = await withDawnGpu(async () => {
      const device = await dawn.requestDevice();
      const shared = new Float32Array(new SharedArrayBuffer(32));
      shared.set([1, 2, 3, 4, 5, 6, 7, 8]);
      const buffer = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC });
      const readback = device.createBuffer({ size: 16, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
      device.queue.writeBuffer(buffer, 0, shared, 2, 4);
      const encoder = device.createCommandEncoder();
      encoder.copyBufferToBuffer(buffer, 0, readback, 0, 16);
      device.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const out = Array.from(new Float32Array(readback.getMappedRange().slice(0)));
      readback.unmap();
      device.destroy();
      return out;
    });
    expect(values).toEqual([3, 4, 5, 6]);
  });
});
