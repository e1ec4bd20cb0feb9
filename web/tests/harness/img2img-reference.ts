import { join } from 'node:path';
import { eulerSchedule, gaussianNoise } from '@hybridgen/core';
import { loadTokenizer } from '@hybridgen/testmodels';
import * as ort from 'onnxruntime-node';

/** A deterministic RGBA test picture (gradients and a square), the same in Node and in the page. */
export function testPicture(width: number, height: number, variant = 0): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const square = x > width / 4 && x < (3 * width) / 4 && y > height / 4 && y < (3 * height) / 4;
      rgba[i] = (x * 255) / width;
      rgba[i + 1] = square ? 255 - variant * 200 : (y * 255) / height;
      rgba[i + 2] = variant ? 255 - (x * 255) / width : 64;
      rgba[i + 3] = 255;
    }
  return rgba;
}

/** What {@link referenceImg2Img} makes (fp32 graphs, tiny encoder and tiny decoder of the test model). */
export interface Img2ImgReference {
  readonly modelDir: string;
  readonly prompt: string;
  readonly seed: number;
  readonly steps: number;
  readonly strength: number;
  /** Square, the init picture's size too (no resize). */
  readonly size: number;
  readonly picture: Uint8ClampedArray;
}

/**
 * Image-to-image written out plainly on onnxruntime-node (CPU, one thread): encode the picture
 * ([0, 1] planar RGB) with the tiny encoder, take the last max(1, ceil(steps x strength)) steps of the
 * Euler schedule, x = x0 + noise x sigma_start, Euler steps, tiny decoder ([0, 1]).
 */
export async function referenceImg2Img(request: Img2ImgReference): Promise<Uint8Array> {
  const { modelDir, prompt, seed, steps, strength, size, picture } = request;
  const options: ort.InferenceSession.SessionOptions = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
  const [text, unet, encoder, decoder] = await Promise.all([
    ort.InferenceSession.create(join(modelDir, 'fp32', 'text_encoder', 'model.onnx'), options),
    ort.InferenceSession.create(join(modelDir, 'fp32', 'unet', 'model.onnx'), options),
    ort.InferenceSession.create(join(modelDir, 'tiny_encoder', 'model.onnx'), options),
    ort.InferenceSession.create(join(modelDir, 'tiny_decoder', 'model.onnx'), options),
  ]);
  try {
    const ids = loadTokenizer(join(modelDir, 'tokenizer')).encode(prompt).ids;
    const hidden = (await text.run({ input_ids: new ort.Tensor('int32', ids, [1, 77]) })).last_hidden_state as ort.Tensor;
    const plane = size * size;
    const pixels = new Float32Array(3 * plane);
    for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) pixels[c * plane + p] = (picture[p * 4 + c] ?? 0) / 255;
    const x0 = (await encoder.run({ sample: new ort.Tensor('float32', pixels, [1, 3, size, size]) })).latent_sample as ort.Tensor;
    const h = size / 8;
    const full = eulerSchedule(steps);
    const first = steps - Math.max(1, Math.ceil(steps * strength));
    const noise = gaussianNoise(seed, 4 * h * h);
    const start = full.sigmas[first] ?? 0;
    const latents = (x0.data as Float32Array).map((v, j) => v + (noise[j] ?? 0) * start);
    for (let i = first; i < steps; i++) {
      const sigma = full.sigmas[i] ?? 0;
      const next = full.sigmas[i + 1] ?? 0;
      const out = await unet.run({
        sample: new ort.Tensor(
          'float32',
          latents.map((v) => v / Math.sqrt(sigma * sigma + 1)),
          [1, 4, h, h],
        ),
        timestep: new ort.Tensor('int64', BigInt64Array.from([BigInt(full.timesteps[i] ?? 0)]), [1]),
        encoder_hidden_states: hidden,
      });
      const eps = (out.out_sample as ort.Tensor).data as Float32Array;
      for (let j = 0; j < latents.length; j++) latents[j] = (latents[j] ?? 0) + (eps[j] ?? 0) * (next - sigma);
    }
    const x = (await decoder.run({ latent_sample: new ort.Tensor('float32', latents, [1, 4, h, h]) })).sample as ort.Tensor;
    const data = x.data as Float32Array;
    const rgba = new Uint8Array(plane * 4);
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) rgba[p * 4 + c] = Math.round(Math.min(1, Math.max(0, data[c * plane + p] ?? 0)) * 255);
      rgba[p * 4 + 3] = 255;
    }
    return rgba;
  } finally {
    await Promise.all([text.release(), unet.release(), encoder.release(), decoder.release()]);
  }
}
