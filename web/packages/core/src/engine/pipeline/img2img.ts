/**
 * Image-to-image with SD-Turbo, as diffusers' `StableDiffusionImg2ImgPipeline`
 * runs it with the Euler scheduler: the init image is encoded to latents x0,
 * noised to the strength's sigma, and the UNet runs the last
 * `max(1, ceil(steps x strength))` steps of the `steps`-step schedule.
 *
 * - schedule: `eulerSchedule(steps)`, then its last `n` timesteps and sigmas
 *   (diffusers' `get_timesteps`: `t_start = steps - n`), ending with sigma 0;
 * - start: `latents = x0 + noise * sigmas[t_start]` (the Euler scheduler's
 *   `add_noise`), so strength 1 starts from noise at the schedule's first
 *   sigma, and lower strengths keep more of the image;
 * - the encoder: the tiny (TAESD) encoder takes RGB in [0, 1] and gives
 *   latents in the UNet's scale (no 0.18215; a VAE encoder's mean would be
 *   multiplied by it).
 *
 * SD-Turbo's "trailing" schedule puts one step at t = 999, where the init
 * image is all but drowned: strength matters from two steps up (diffusers'
 * SD-Turbo example: 2 steps at strength 0.5, one UNet run at t = 499).
 */

import { InvalidRequestError } from '../errors.js';
import type { InitImage } from '../types.js';
import { type EulerSchedule, eulerSchedule } from './scheduler.js';

/** The biggest init image side the engine takes (it is resized to the session size anyway). */
export const MAX_INIT_SIDE = 4096;

/** UNet steps an img2img run makes: `max(1, ceil(steps x strength))`, at most `steps`. */
export function img2imgStepCount(steps: number, strength: number): number {
  return Math.min(steps, Math.max(1, Math.ceil(steps * strength - 1e-9)));
}

/**
 * The tail of the `steps`-step Euler schedule an img2img run at `strength` uses. Its
 * `initNoiseSigma` is the start sigma: the noise added to the init latents.
 */
export function img2imgSchedule(steps: number, strength: number): EulerSchedule {
  const full = eulerSchedule(steps);
  const start = steps - img2imgStepCount(steps, strength);
  const sigmas = full.sigmas.slice(start);
  return { timesteps: full.timesteps.slice(start), sigmas, initNoiseSigma: sigmas[0] ?? 0 };
}

/** `x0 + noise * sigma`, written into `noise` (the scheduler's `add_noise`). */
export function addNoise(x0: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  if (x0.length !== noise.length) throw new RangeError(`init latents have ${x0.length} values, the noise ${noise.length}`);
  const s = Math.fround(sigma);
  for (let i = 0; i < noise.length; i++) noise[i] = (x0[i] ?? 0) + (noise[i] ?? 0) * s;
  return noise;
}

/** Throws {@link InvalidRequestError} unless `init` is a well-formed init image. */
export function checkInitImage(init: InitImage): void {
  const { width, height, rgba, strength } = init;
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const)
    if (!Number.isInteger(v) || v < 1 || v > MAX_INIT_SIDE)
      throw new InvalidRequestError(`init.${name} must be an integer from 1 to ${MAX_INIT_SIDE}, got ${v}`);
  if (!(rgba instanceof Uint8ClampedArray) || rgba.length !== width * height * 4)
    throw new InvalidRequestError(`init.rgba must be a Uint8ClampedArray of width x height x 4 = ${width * height * 4} bytes`);
  if (typeof strength !== 'number' || !(strength > 0 && strength <= 1)) throw new InvalidRequestError(`init.strength must be in (0, 1], got ${strength}`);
}

/**
 * The init image as the tiny encoder's input: planar RGB in [0, 1], [1, 3, size, size], resized
 * bilinearly (pixel centres aligned, as `align_corners=False`) when its size differs (stretched:
 * the caller shows the result at the source's aspect ratio).
 */
export function rgbaToPlanarUnit(init: InitImage, size: number): Float32Array {
  const { rgba, width, height } = init;
  const out = new Float32Array(3 * size * size);
  const plane = size * size;
  const sx = width / size;
  const sy = height / size;
  for (let y = 0; y < size; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    const wy = fy - y0;
    for (let x = 0; x < size; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number): number => rgba[(yy * width + xx) * 4 + c] ?? 0;
        const top = p(y0, x0) * (1 - wx) + p(y0, x1) * wx;
        const bottom = p(y1, x0) * (1 - wx) + p(y1, x1) * wx;
        out[c * plane + y * size + x] = (top * (1 - wy) + bottom * wy) / 255;
      }
    }
  }
  return out;
}
