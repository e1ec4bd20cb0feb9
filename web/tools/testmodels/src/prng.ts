/**
 * A small, documented, seeded pseudo-random generator for test weights.
 *
 * The core is SplitMix32 (Steele, Lea and Flood's SplitMix constants folded to
 * 32 bits as in `splitmix32`): state += 0x9e3779b9, then two xor-shift-multiply
 * rounds. Normal variates use the Box-Muller transform. Same seed, same
 * sequence, on every platform (only 32-bit integer math and `Math.log`,
 * `Math.sqrt`, `Math.cos`, which are correctly rounded enough for weights that
 * are then stored as float32/float16).
 */
export class Rng {
  private state: number;
  private spare: number | null = null;

  /** @param seed - any 32-bit integer. */
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Derives an independent generator for a named part of a model, e.g. `"unet"`. */
  static forName(seed: number, name: string): Rng {
    let h = seed >>> 0;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
    return new Rng(h);
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  }

  /** Uniform in (0, 1): never exactly 0, so `Math.log` stays finite. */
  uniform(): number {
    return (this.nextUint32() + 0.5) / 4294967296;
  }

  /** Standard normal variate (Box-Muller). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /** `count` normal variates with the given mean and standard deviation. */
  normals(count: number, std: number, mean = 0): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = mean + std * this.normal();
    return out;
  }
}
