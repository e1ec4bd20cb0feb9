/**
 * The anchor: a bare SD-Turbo pipeline written the way the ONNX Runtime Web SD-Turbo demo
 * (microsoft/onnxruntime-inference-examples js/sd-turbo) runs it: webgpu EP, the demo's
 * session options and flags, `last_hidden_state` kept on the GPU, freeDimensionOverrides,
 * latents, scheduler step and pixel mapping on the CPU, timed with performance.now per stage.
 */
import path from 'node:path';
import { promptIds, randn, readModel, summarise } from './env.mjs';

const SIGMA = 14.6146;
const VAE_SCALING = 0.18215;

/** The demo's session options (plus `externalData` for > 2 GB graphs, which its fp16 files never need). */
export function demoOptions(role, latent, provider) {
  const opt = {
    executionProviders: [provider],
    enableMemPattern: false,
    enableCpuMemArena: false,
    extra: {
      session: {
        disable_prepacking: '1',
        use_device_allocator_for_initializers: '1',
        use_ort_model_bytes_directly: '1',
        use_ort_model_bytes_for_initializers: '1',
      },
    },
  };
  if (provider === 'webgpu') opt.preferredOutputLocation = { last_hidden_state: 'gpu-buffer' };
  if (role === 'text_encoder') opt.freeDimensionOverrides = { batch_size: 1 };
  if (role === 'unet') opt.freeDimensionOverrides = { batch_size: 1, num_channels: 4, height: latent, width: latent, sequence_length: 77 };
  if (role === 'decoder') opt.freeDimensionOverrides = { batch_size: 1, num_channels_latent: 4, height_latent: latent, width_latent: latent };
  return opt;
}

export async function createSession(ort, dir, options) {
  const t0 = performance.now();
  const { bytes, externalData } = readModel(dir);
  const readMs = performance.now() - t0;
  const t1 = performance.now();
  const session = await ort.InferenceSession.create(bytes, externalData.length ? { ...options, externalData } : options);
  return { session, readMs, createMs: performance.now() - t1 };
}

/** One draft, per-stage times in ms. */
async function draft(ort, s, latent, seed, vocabSize) {
  const start = performance.now();
  const ids = new Int32Array(77);
  ids.set(promptIds(vocabSize));
  let t = performance.now();
  const { last_hidden_state } = await s.text_encoder.run({ input_ids: new ort.Tensor('int32', ids, [1, 77]) });
  const textEncoder = performance.now() - t;

  const n = 4 * latent * latent;
  const noise = randn(n, seed);
  for (let i = 0; i < n; i++) noise[i] *= SIGMA;
  const scaled = new Float32Array(n);
  const div = Math.sqrt(SIGMA ** 2 + 1);
  for (let i = 0; i < n; i++) scaled[i] = noise[i] / div;
  t = performance.now();
  const { out_sample } = await s.unet.run({
    sample: new ort.Tensor('float32', scaled, [1, 4, latent, latent]),
    timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
    encoder_hidden_states: last_hidden_state,
  });
  const unet = performance.now() - t;
  last_hidden_state.dispose();

  t = performance.now();
  const eps = out_sample.data;
  const x0 = new Float32Array(n);
  for (let i = 0; i < n; i++) x0[i] = (noise[i] - SIGMA * eps[i]) / VAE_SCALING;
  const scheduler = performance.now() - t;

  t = performance.now();
  const { sample } = await s.decoder.run({ latent_sample: new ort.Tensor('float32', x0, [1, 4, latent, latent]) });
  const decoder = performance.now() - t;

  t = performance.now();
  const pix = sample.data;
  const rgba = new Uint8ClampedArray((pix.length / 3) * 4);
  const plane = pix.length / 3;
  for (let i = 0; i < plane; i++) {
    rgba[i * 4] = (pix[i] / 2 + 0.5) * 255;
    rgba[i * 4 + 1] = (pix[plane + i] / 2 + 0.5) * 255;
    rgba[i * 4 + 2] = (pix[2 * plane + i] / 2 + 0.5) * 255;
    rgba[i * 4 + 3] = 255;
  }
  const pixels = performance.now() - t;
  return { textEncoder, unet, scheduler, decoder, pixels, total: performance.now() - start };
}

/**
 * Creates the sessions, runs one cold draft (shader compilation) and `runs` warm ones.
 * `decoder` is the folder of vae_decoder or tiny_decoder.
 */
export async function runAnchor(ort, { modelDir, decoder = 'vae_decoder', size = 512, runs = 10, provider = 'webgpu', vocabSize = 49408, log = () => {} }) {
  const latent = size / 8;
  const s = {};
  const create = {};
  for (const [role, dir] of [
    ['text_encoder', 'text_encoder'],
    ['unet', 'unet'],
    ['decoder', decoder],
  ]) {
    const r = await createSession(ort, path.join(modelDir, dir), demoOptions(role, latent, provider));
    s[role] = r.session;
    create[role] = { readMs: Math.round(r.readMs), createMs: Math.round(r.createMs) };
    log(`  ${provider} ${dir}: read ${create[role].readMs} ms, create ${create[role].createMs} ms`);
  }
  const first = await draft(ort, s, latent, 1, vocabSize);
  log(`  first draft ${Math.round(first.total)} ms`);
  const warm = [];
  for (let i = 0; i < runs; i++) warm.push(await draft(ort, s, latent, i + 2, vocabSize));
  for (const sess of Object.values(s)) await sess.release();
  return { decoder, create, firstRun: summarise([first]), warm: summarise(warm), warmAll: warm.map((r) => Math.round(r.total * 10) / 10) };
}
