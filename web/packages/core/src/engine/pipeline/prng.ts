/**
 * Seeded Gaussian noise for the initial latents.
 *
 * Generator: PCG32 (PCG-XSH-RR 64/32, M. E. O'Neill 2014) with the reference
 * multiplier 6364136223846793005 and increment derived from a fixed stream
 * (54), seeded as `pcg32_srandom_r(seed, 54)` does. Each uniform in (0, 1] is
 * `(u32 + 1) / 2^32`; normals come from the Box–Muller transform, two per pair
 * of uniforms (`r = sqrt(-2 ln u1)`, `z0 = r cos(2π u2)`, `z1 = r sin(2π u2)`),
 * written in order. The same seed always gives the same Float32 values on
 * every JS engine (only +, *, BigInt-free 32-bit math, Math.log/cos/sin/sqrt
 * on doubles, then rounded to float32).
 */

const MULT_HI = 0x5851f42d;
const MULT_LO = 0x4c957f2d; // 6364136223846793005 = 0x5851F42D4C957F2D
const STREAM = 54;

/** The largest seed accepted (seeds are unsigned 32-bit integers). */
export const MAX_SEED = 0xffffffff;

/** A PCG32 generator: 64-bit state kept as two 32-bit halves. */
export class Pcg32 {
  private hi = 0;
  private lo = 0;
  private readonly incHi: number;
  private readonly incLo: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new RangeError(`seed must be an integer in [0, ${MAX_SEED}], got ${seed}`);
    // inc = (stream << 1) | 1
    const inc = (BigInt(STREAM) << 1n) | 1n;
    this.incHi = Number((inc >> 32n) & 0xffffffffn);
    this.incLo = Number(inc & 0xffffffffn);
    this.step();
    this.add(0, seed >>> 0);
    this.step();
  }

  /** state += (hi, lo) mod 2^64 */
  private add(hi: number, lo: number): void {
    const sumLo = (this.lo >>> 0) + (lo >>> 0);
    this.lo = sumLo >>> 0;
    this.hi = (this.hi + hi + (sumLo > 0xffffffff ? 1 : 0)) >>> 0;
  }

  /** state = state * MULT + inc mod 2^64 */
  private step(): void {
    const aLo = this.lo;
    const aHi = this.hi;
    // 64x64 -> low 64 bits, with 16-bit limbs for the low word product.
    const a0 = aLo & 0xffff;
    const a1 = aLo >>> 16;
    const b0 = MULT_LO & 0xffff;
    const b1 = MULT_LO >>> 16;
    const p00 = a0 * b0;
    const p01 = a0 * b1;
    const p10 = a1 * b0;
    const p11 = a1 * b1;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const lo = ((mid & 0xffff) << 16) | (p00 & 0xffff);
    const carry = (mid >>> 16) + (p01 >>> 16) + (p10 >>> 16) + p11;
    const hi = (carry + Math.imul(aLo, MULT_HI) + Math.imul(aHi, MULT_LO)) >>> 0;
    this.lo = lo >>> 0;
    this.hi = hi;
    this.add(this.incHi, this.incLo);
  }

  /** The next 32-bit output (XSH-RR of the old state). */
  nextU32(): number {
    const oldHi = this.hi;
    const oldLo = this.lo;
    this.step();
    // xorshifted = ((old >> 18) ^ old) >> 27, truncated to 32 bits
    const xHi = (oldHi >>> 18) ^ oldHi;
    const xLo = (((oldHi << 14) | (oldLo >>> 18)) ^ oldLo) >>> 0;
    const xorshifted = ((xHi << 5) | (xLo >>> 27)) >>> 0;
    const rot = oldHi >>> 27;
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  }

  /** A uniform double in (0, 1]. */
  nextUniform(): number {
    return (this.nextU32() + 1) / 4294967296;
  }
}

/** Fills a new Float32Array of `count` standard normal values from `seed`. */
export function gaussianNoise(seed: number, count: number): Float32Array {
  const rng = new Pcg32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(rng.nextUniform()));
    const theta = 2 * Math.PI * rng.nextUniform();
    out[i] = r * Math.cos(theta);
    if (i + 1 < count) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/** A random seed from `crypto.getRandomValues`. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}
