import { describe, expect, it } from 'vitest';
import { float32ToHalf, fromHalf, halfToFloat32, toHalf } from './half.js';

describe('float16 conversion', () => {
  it('converts known values', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(0)).toBe(0);
    expect(toHalf(2 ** -24)).toBe(1);
    expect(fromHalf(0x3555)).toBeCloseTo(0.33325, 5);
    expect(Number.isNaN(fromHalf(toHalf(Number.NaN)))).toBe(true);
  });

  it('round-trips within half precision', () => {
    const values = new Float32Array([0.1, -3.25, 14.6146, 1e-5, 1234.5]);
    const back = halfToFloat32(float32ToHalf(values));
    values.forEach((v, i) => {
      expect(Math.abs((back[i] ?? 0) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -24);
    });
  });
});
