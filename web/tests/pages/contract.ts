// Session-level checks of the SD-Turbo I/O contract for browser tests, as `window.hgContract`: onnxruntime-web
// directly on the generated test model, with the engine's own static-shape derivation.

import { expectedInputShapes, freeDimensionOverrides, onnxGraphInputs, parseManifest, readPipelineConfig, type SdTurboPipeline } from '@hybridgen/core';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';

const MODEL_BASE = '/models/test-tiny-sd/';
type Ort = typeof import('onnxruntime-web/webgpu');

async function ortModule(): Promise<Ort> {
  const ort = await import('onnxruntime-web/webgpu');
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
  return ort;
}

async function graph(precision: string, role: string): Promise<Uint8Array> {
  const response = await fetch(`${MODEL_BASE}${precision}/${role}/model.onnx`);
  if (!response.ok) throw new Error(`${precision}/${role}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function pipelineConfig(): Promise<SdTurboPipeline> {
  const manifest = parseManifest(await (await fetch(`${MODEL_BASE}manifest.json`)).json());
  return readPipelineConfig(manifest.pipeline, manifest.id);
}

/** Creates a session the way the engine does (same optimisation level and memory options) with the given overrides. */
function create(ort: Ort, bytes: Uint8Array, backend: 'webgpu' | 'wasm', freeDimensionOverrides: Record<string, number>) {
  return ort.InferenceSession.create(bytes, {
    executionProviders: [backend],
    graphOptimizationLevel: 'all',
    enableMemPattern: false,
    enableCpuMemArena: false,
    logSeverityLevel: 3,
    freeDimensionOverrides,
  });
}

/** The same graph run with two sets of overrides: are the float outputs bit-identical? */
async function compareOverrides(
  backend: 'webgpu' | 'wasm',
  precision: 'fp32' | 'fp16',
  role: 'text_encoder' | 'unet',
  without: string,
  feeds: (ort: Ort) => Record<string, import('onnxruntime-web/webgpu').Tensor>,
  output: string,
) {
  const ort = await ortModule();
  const bytes = await graph(precision, role);
  const pipeline = await pipelineConfig();
  const pinned = freeDimensionOverrides(role, onnxGraphInputs(bytes), expectedInputShapes(pipeline, pipeline.defaultSize));
  const { [without]: _dropped, ...free } = pinned;
  const outputs: Float32Array[] = [];
  for (const overrides of [pinned, free]) {
    const session = await create(ort, bytes, backend, overrides);
    try {
      const result = await session.run(feeds(ort));
      outputs.push((await result[output]?.getData()) as Float32Array);
    } finally {
      await session.release();
    }
  }
  const [a = new Float32Array(), b = new Float32Array()] = outputs;
  let maxAbsDiff = 0;
  let identicalBits = a.length === b.length;
  const aBits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const bBits = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (aBits[i] !== bBits[i]) identicalBits = false;
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  }
  let absSum = 0;
  for (const v of a) absSum += Math.abs(v);
  return { pinned, free, length: a.length, identicalBits, maxAbsDiff, absSum };
}

/**
 * Token ids shaped like a prompt: a start id, a few words, an end id (the highest, as CLIP's end of text
 * is), padding 0. All below 256, so they exist in any byte-level BPE vocabulary the test model has.
 */
function promptIds(): Int32Array {
  const ids = new Int32Array(77);
  const words = [17, 42, 99, 7, 230, 61, 150, 88];
  ids[0] = 254;
  words.forEach((w, i) => {
    ids[i + 1] = w;
  });
  ids[words.length + 1] = 255;
  return ids;
}

const hooks = {
  /** The text encoder with `sequence_length` pinned to 77 vs left free (the ORT Web demo pins only `batch_size`). */
  async textEncoderSequencePin(backend: 'webgpu' | 'wasm', precision: 'fp32' | 'fp16') {
    const ids = promptIds();
    return compareOverrides(
      backend,
      precision,
      'text_encoder',
      'sequence_length',
      (ort) => ({ input_ids: new ort.Tensor('int32', ids, [1, 77]) }),
      'last_hidden_state',
    );
  },
  /** The UNet with `steps` (timestep's dimension) pinned to 1 vs left free (the demo warns pinning it fails session creation). */
  async unetStepsPin(backend: 'webgpu' | 'wasm', precision: 'fp32' | 'fp16') {
    const pipeline = await pipelineConfig();
    const latent = pipeline.defaultSize / pipeline.vaeScaleFactor;
    const sample = Float32Array.from({ length: pipeline.latentChannels * latent * latent }, (_, i) => Math.sin(i * 0.37));
    const width = Number(onnxGraphInputs(await graph(precision, 'unet')).find((i) => i.name === 'encoder_hidden_states')?.dims[2]);
    const hidden = Float32Array.from({ length: 77 * width }, (_, i) => Math.cos(i * 0.11));
    return compareOverrides(
      backend,
      precision,
      'unet',
      'steps',
      (ort) => ({
        sample: new ort.Tensor('float32', sample, [1, pipeline.latentChannels, latent, latent]),
        timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
        encoder_hidden_states: new ort.Tensor('float32', hidden, [1, 77, width]),
      }),
      'out_sample',
    );
  },
};

declare global {
  interface Window {
    hgContract: typeof hooks;
  }
}
window.hgContract = hooks;
