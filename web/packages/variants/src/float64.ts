/**
 * float64 -> float32 narrowing. Derived variants hold no float64: onnxruntime-web
 * places no float64 node in a WebGPU session (creation fails with "Provider type
 * for <node> is not set"), and the only float64 in SD-Turbo-shaped exports is
 * torch's opset < 17 LayerNorm on float16 input, which computes its statistics
 * as float64 (`Cast` to DOUBLE ... `Cast` back); float32 is ample for those.
 */

import { DataType } from './onnx-schema.js';

/** Element types the float32 variants rewrite to float32. */
export const TO_FLOAT32 = new Set<number>([DataType.FLOAT16, DataType.DOUBLE]);

/** Narrows little-endian float64 values in `src` (a multiple of 8 bytes) to float32, into `out` when given. */
export function narrowFloat64Bytes(src: Uint8Array, out?: Float32Array): Float32Array {
  if (src.byteLength % 8) throw new RangeError(`float64 data has ${src.byteLength} bytes, not a multiple of 8`);
  const n = src.byteLength / 8;
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const dst = out ? out.subarray(0, n) : new Float32Array(n);
  for (let i = 0; i < n; i++) dst[i] = view.getFloat64(i * 8, true);
  return dst;
}
