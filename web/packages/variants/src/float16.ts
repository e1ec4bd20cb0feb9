/**
 * float16 -> float32 widening through a 65 536-entry table (256 KiB, built
 * once from the engine's exact {@link fromHalf}): one lookup per element, so
 * converting a 1.7 GB UNet is bounded by I/O, not arithmetic.
 */

import { fromHalf } from '@hybridgen/core/half';

let table: Float32Array | undefined;

function lut(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromHalf(h);
  }
  return table;
}

/**
 * Widens little-endian binary16 values in `src` (even length) to float32,
 * into `out` when given (at least twice the bytes), else a new buffer.
 */
export function widenFloat16Bytes(src: Uint8Array, out?: Float32Array): Float32Array {
  if (src.byteLength % 2) throw new RangeError(`float16 data has an odd byte count ${src.byteLength}`);
  const n = src.byteLength / 2;
  const halves = src.byteOffset % 2 === 0 ? new Uint16Array(src.buffer, src.byteOffset, n) : new Uint16Array(src.slice().buffer);
  const dst = out ? out.subarray(0, n) : new Float32Array(n);
  const t = lut();
  for (let i = 0; i < n; i++) dst[i] = t[halves[i] as number] as number;
  return dst;
}

/** Widens float16 bit patterns given as numbers (TensorProto.int32_data holds them so). */
export function widenFloat16Values(bits: readonly number[]): Float32Array {
  const t = lut();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = t[(bits[i] as number) & 0xffff] as number;
  return out;
}
