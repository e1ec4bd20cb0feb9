import { join } from 'node:path';
import { eulerSchedule, gaussianNoise } from '@hybridgen/core';
import { loadTokenizer } from '@hybridgen/testmodels';
import * as ort from 'onnxruntime-node';

/** What {@link referenceImage} makes. */
export interface ReferenceRequest {
  readonly modelDir: string;
  readonly precision: 'fp32' | 'fp16';
  readonly prompt: string;
  readonly seed: number;
  readonly steps: number;
  readonly size: number;
  /**
   * `'tiny'`: decode the way the engine runs a tiny decoder (x0 as it is, output in [0, 1]), with the
   * VAE decoder graph standing in for it (tests give the engine that file as its tiny_decoder).
   * Default `'full'`: x0 / 0.18215, output in [-1, 1].
   */
  readonly decoder?: 'full' | 'tiny';
}

const references = new Map<string, Promise<Uint8Array>>();

/**
 * The SD-Turbo pipeline written out plainly on onnxruntime-node (CPU EP, one
 * thread): the same graphs, tokenizer file, noise (PCG32 + Box–Muller) and
 * Euler schedule as the engine, so browser output can be compared with it.
 * Computed once per request in a test file (the files compare several
 * backends with the same reference); callers must not modify the result.
 */
export function referenceImage(request: ReferenceRequest): Promise<Uint8Array> {
  const key = JSON.stringify([request.modelDir, request.precision, request.prompt, request.seed, request.steps, request.size, request.decoder ?? 'full']);
  let image = references.get(key);
  if (!image) {
    image = computeReference(request);
    references.set(key, image);
    // A failed run is not kept: the next caller tries again.
    image.catch(() => references.delete(key));
  }
  return image;
}

async function computeReference(request: ReferenceRequest): Promise<Uint8Array> {
  const { modelDir, precision, prompt, seed, steps, size } = request;
  const tiny = request.decoder === 'tiny';
  const options: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
  const open = (role: string) => ort.InferenceSession.create(join(modelDir, precision, role, 'model.onnx'), options);
  const [text, unet, vae] = await Promise.all([open('text_encoder'), open('unet'), open('vae_decoder')]);
  try {
    const ids = loadTokenizer(join(modelDir, 'tokenizer')).encode(prompt).ids;
    const hidden = (await text.run({ input_ids: new ort.Tensor('int32', ids, [1, 77]) })).last_hidden_state as ort.Tensor;
    const h = size / 8;
    const schedule = eulerSchedule(steps);
    const latents = gaussianNoise(seed, 4 * h * h).map((v) => v * schedule.initNoiseSigma);
    for (let i = 0; i < steps; i++) {
      const sigma = schedule.sigmas[i] ?? 0;
      const next = schedule.sigmas[i + 1] ?? 0;
      const input = latents.map((v) => v / Math.sqrt(sigma * sigma + 1));
      const out = await unet.run({
        sample: new ort.Tensor('float32', input, [1, 4, h, h]),
        timestep: new ort.Tensor('int64', BigInt64Array.from([BigInt(schedule.timesteps[i] ?? 0)]), [1]),
        encoder_hidden_states: hidden,
      });
      const eps = (out.out_sample as ort.Tensor).data as Float32Array;
      for (let j = 0; j < latents.length; j++) latents[j] = (latents[j] ?? 0) + (eps[j] ?? 0) * (next - sigma);
    }
    const decoded = (
      await vae.run({
        latent_sample: new ort.Tensor(
          'float32',
          latents.map((v) => (tiny ? v : v / 0.18215)),
          [1, 4, h, h],
        ),
      })
    ).sample as ort.Tensor;
    const x = decoded.data as Float32Array;
    const plane = size * size;
    const rgba = new Uint8Array(plane * 4);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        const v = x[c * plane + p] ?? 0;
        rgba[p * 4 + c] = Math.round(Math.min(1, Math.max(0, tiny ? v : v / 2 + 0.5)) * 255);
      }
      rgba[p * 4 + 3] = 255;
    }
    return rgba;
  } finally {
    await Promise.all([text.release(), unet.release(), vae.release()]);
  }
}

/** How far two RGBA images are apart, in 0..255 levels. */
export function pixelDifference(a: Uint8Array, b: Uint8Array): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`images differ in size: ${a.length} vs ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] ?? 0) - (b[i] ?? 0));
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}
