import { describe, expect, it } from 'vitest';
import { gaussianNoise, Pcg32 } from './prng.js';

/** Reference PCG32 in BigInt, straight from pcg_basic.c. */
function referencePcg(seed: bigint, seq: bigint, count: number): number[] {
  const mask = (1n << 64n) - 1n;
  const mult = 6364136223846793005n;
  const inc = ((seq << 1n) | 1n) & mask;
  let state = 0n;
  const next = (): number => {
    const old = state;
    state = (old * mult + inc) & mask;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  };
  next();
  state = (state + seed) & mask;
  next();
  return Array.from({ length: count }, next);
}

describe('PCG32', () => {
  it('matches pcg32-demo: seed 42, stream 54', () => {
    const rng = new Pcg32(42);
    const got = Array.from({ length: 6 }, () => rng.nextU32());
    expect(got).toEqual([0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e]);
  });

  it('matches a BigInt reference for many seeds', () => {
    for (const seed of [0, 1, 7, 123456789, 0xffffffff]) {
      const rng = new Pcg32(seed);
      expect(Array.from({ length: 64 }, () => rng.nextU32())).toEqual(referencePcg(BigInt(seed), 54n, 64));
    }
  });

  it('rejects seeds that are not uint32', () => {
    expect(() => new Pcg32(-1)).toThrow(RangeError);
    expect(() => new Pcg32(1.5)).toThrow(RangeError);
    expect(() => new Pcg32(2 ** 32)).toThrow(RangeError);
  });
});

describe('gaussianNoise', () => {
  it('is deterministic per seed and differs across seeds', () => {
    expect(gaussianNoise(5, 1001)).toEqual(gaussianNoise(5, 1001));
    expect(gaussianNoise(5, 16)).not.toEqual(gaussianNoise(6, 16));
  });

  it('is standard normal', () => {
    const n = gaussianNoise(2024, 200_000);
    let sum = 0;
    let sq = 0;
    for (const v of n) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / n.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(sq / n.length - mean * mean - 1)).toBeLessThan(0.02);
    expect(n.every(Number.isFinite)).toBe(true);
  });

  it('pins the first values of seed 0', () => {
    const first = Array.from(gaussianNoise(0, 4), (v) => Number(v.toFixed(6)));
    expect(first).toMatchInlineSnapshot(`
      [
        -0.251035,
        -1.575019,
        1.109858,
        -0.445068,
      ]
    `);
  });
});
