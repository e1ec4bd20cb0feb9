import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../errors.js';
import { addNoise, checkInitImage, img2imgSchedule, img2imgStepCount, rgbaToPlanarUnit } from './img2img.js';
import { eulerSchedule } from './scheduler.js';

describe('img2img maths', () => {
  it('runs max(1, ceil(steps x strength)) UNet steps', () => {
    expect(img2imgStepCount(4, 1)).toBe(4);
    expect(img2imgStepCount(4, 0.5)).toBe(2);
    expect(img2imgStepCount(4, 0.3)).toBe(2);
    expect(img2imgStepCount(4, 0.25)).toBe(1);
    expect(img2imgStepCount(4, 0.01)).toBe(1);
    expect(img2imgStepCount(2, 0.5)).toBe(1);
    expect(img2imgStepCount(1, 0.2)).toBe(1);
  });

  it('takes the tail of the full schedule and starts at its sigma (diffusers get_timesteps)', () => {
    const full = eulerSchedule(4);
    const half = img2imgSchedule(4, 0.5);
    expect(half.timesteps).toEqual([499, 249]);
    expect(half.sigmas).toEqual(full.sigmas.slice(2));
    expect(half.sigmas.at(-1)).toBe(0);
    expect(half.initNoiseSigma).toBe(full.sigmas[2]);
    // SD-Turbo's documented img2img: 2 steps at strength 0.5 -> one UNet run at t = 499 (sigma ~1.61).
    const turbo = img2imgSchedule(2, 0.5);
    expect(turbo.timesteps).toEqual([499]);
    expect(turbo.initNoiseSigma).toBeCloseTo(1.6129, 3);
    // Strength 1 is text-to-image's schedule.
    expect(img2imgSchedule(4, 1)).toEqual({ ...full, initNoiseSigma: full.sigmas[0] });
    expect(full.initNoiseSigma).toBe(full.sigmas[0]);
  });

  it('noises x0 to sigma: x0 + noise x sigma', () => {
    const x0 = Float32Array.of(1, -2, 0.5);
    const out = addNoise(x0, Float32Array.of(1, 1, -2), 0.5);
    expect([...out]).toEqual([1.5, -1.5, -0.5]);
    expect(() => addNoise(x0, new Float32Array(2), 1)).toThrow(RangeError);
  });

  it('turns RGBA into planar RGB in [0, 1], resizing bilinearly', () => {
    // 2x1: red, blue, stretched to 2x2 (each row the same), planar R, G, B.
    const rgba = Uint8ClampedArray.of(255, 0, 0, 255, 0, 0, 255, 255);
    const same = rgbaToPlanarUnit({ rgba, width: 2, height: 1, strength: 1 }, 2);
    expect([...same]).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
    // Downsized to 1x1: the mean of the two.
    const one = rgbaToPlanarUnit({ rgba, width: 2, height: 1, strength: 1 }, 1);
    expect([...one]).toEqual([0.5, 0, 0.5]);
    // Upsized 2x2 -> 4x4: corners keep their values, the middle blends.
    const four = rgbaToPlanarUnit(
      { rgba: Uint8ClampedArray.of(0, 0, 0, 255, 255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255), width: 2, height: 2, strength: 1 },
      4,
    );
    expect([...four.slice(0, 4)]).toEqual([0, 0.25, 0.75, 1]);
  });

  it('refuses malformed init images', () => {
    const ok = { rgba: new Uint8ClampedArray(16), width: 2, height: 2, strength: 0.5 };
    expect(() => checkInitImage(ok)).not.toThrow();
    expect(() => checkInitImage({ ...ok, strength: 0 })).toThrow(InvalidRequestError);
    expect(() => checkInitImage({ ...ok, strength: 1.5 })).toThrow(InvalidRequestError);
    expect(() => checkInitImage({ ...ok, width: 3 })).toThrow(InvalidRequestError);
    expect(() => checkInitImage({ ...ok, rgba: new Uint8ClampedArray(15) })).toThrow(InvalidRequestError);
  });
});
