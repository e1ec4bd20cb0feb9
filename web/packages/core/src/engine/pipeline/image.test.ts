import { describe, expect, it } from 'vitest';
import { vaeOutputToRgba } from './image.js';

describe('vaeOutputToRgba', () => {
  it('maps x/2+0.5 to 0..255, clamps, and sets alpha', () => {
    // 2 x 1 image: planes R, G, B
    const sample = new Float32Array([-1, 1, 0, 3, -5, 0.5]);
    expect(Array.from(vaeOutputToRgba(sample, 2, 1))).toEqual([0, 128, 0, 255, 255, 255, 191, 255]);
  });

  it('matches round(clamp(x/2+0.5)*255) within one level, NaN as 0', () => {
    const sample = Float32Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i * 12.9898) * 1.3);
    const out = vaeOutputToRgba(sample, 8, 8);
    for (let p = 0; p < 64; p++) {
      for (let c = 0; c < 3; c++) {
        const v = sample[c * 64 + p] ?? 0;
        expect(Math.abs((out[p * 4 + c] ?? 0) - Math.round(Math.min(1, Math.max(0, v / 2 + 0.5)) * 255))).toBeLessThanOrEqual(1);
      }
    }
    expect(vaeOutputToRgba(new Float32Array([Number.NaN, 0, 0]), 1, 1)[0]).toBe(0);
    expect(() => vaeOutputToRgba(new Float32Array(2), 1, 1)).toThrow(RangeError);
  });
});
