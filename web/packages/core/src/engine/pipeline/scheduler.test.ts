import { describe, expect, it } from 'vitest';
import { eulerSchedule, eulerStep, scaleModelInput, trailingTimesteps, trainingSigmas } from './scheduler.js';

describe('Euler scheduler (diffusers EulerDiscreteScheduler, SD-Turbo config)', () => {
  it('spaces timesteps "trailing"', () => {
    expect(trailingTimesteps(1)).toEqual([999]);
    expect(trailingTimesteps(2)).toEqual([999, 499]);
    expect(trailingTimesteps(3)).toEqual([999, 666, 332]);
    expect(trailingTimesteps(4)).toEqual([999, 749, 499, 249]);
    expect(() => trailingTimesteps(0)).toThrow(RangeError);
  });

  it('pins the sigmas diffusers computes', () => {
    const all = trainingSigmas();
    expect(all[999]).toBeCloseTo(14.614641, 5);
    expect(all[0]).toBeCloseTo(0.029168, 5);
    const four = eulerSchedule(4);
    expect(four.timesteps).toEqual([999, 749, 499, 249]);
    // values from diffusers 0.31 EulerDiscreteScheduler(timestep_spacing="trailing").set_timesteps(4).sigmas
    expect(four.sigmas[0]).toBeCloseTo(14.6146, 4);
    expect(four.sigmas[1]).toBeCloseTo(4.0817, 3);
    expect(four.sigmas[2]).toBeCloseTo(1.6129, 3);
    expect(four.sigmas[3]).toBeCloseTo(0.6932, 3);
    expect(four.sigmas[4]).toBe(0);
    // "trailing" init_noise_sigma is the max sigma, not sqrt(sigma^2 + 1)
    expect(four.initNoiseSigma).toBeCloseTo(14.6146, 4);
    expect(eulerSchedule(1).sigmas).toEqual([Math.fround(all[999] ?? 0), 0]);
  });

  it('scales the model input by 1/sqrt(sigma^2+1)', () => {
    const out = scaleModelInput(new Float32Array([14.6146, -29.2292]), 14.6146);
    expect(out[0]).toBeCloseTo(14.6146 / Math.sqrt(14.6146 ** 2 + 1), 5);
    expect(out[1]).toBeCloseTo(-2 * (out[0] ?? 0), 5);
  });

  it('one step to sigma 0 gives x0 = sample - sigma * eps', () => {
    const sample = new Float32Array([10, -3]);
    const eps = new Float32Array([0.5, 2]);
    const x0 = eulerStep(sample, eps, 14.6146, 0);
    expect(x0[0]).toBeCloseTo(10 - 14.6146 * 0.5, 4);
    expect(x0[1]).toBeCloseTo(-3 - 14.6146 * 2, 4);
    const mid = eulerStep(sample, eps, 4, 1);
    expect(mid[0]).toBeCloseTo(10 - 3 * 0.5, 5);
  });
});
