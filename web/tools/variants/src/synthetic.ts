/**
 * Writes a synthetic fp16 model of a chosen size straight to disk, without
 * holding it in memory: x (f32) -> Cast(f16) -> MatMul x L (D x D fp16
 * weights) -> Cast(f32) -> y. ORT-web demo style (fp16 weights, fp32 I/O),
 * so the converter and quantizer can be measured on GB-sized input.
 */

import { open } from 'node:fs/promises';
import { encodeVarint, ProtoWriter } from '@hybridgen/core';

const FLOAT = 1;
const FLOAT16 = 10;

function valueInfo(name: string, elemType: number, dims: readonly number[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) shape.message(1, new ProtoWriter().varint(1, d));
  const tensorType = new ProtoWriter().varint(1, elemType).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function node(opType: string, inputs: string[], outputs: string[], to?: number): Uint8Array {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(4, opType);
  if (to !== undefined) w.message(5, new ProtoWriter().string(1, 'to').varint(3, to).varint(20, 2));
  return w.finish();
}

/** Random fp16 bits ~ N(0, 1/D) as a reusable weight buffer. */
function weightBits(d: number, seed: number): Uint8Array {
  const count = d * d;
  const out = new Uint16Array(count);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let s = seed >>> 0;
  const std = 1 / Math.sqrt(d);
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const a = s / 2 ** 32;
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const b = s / 2 ** 32;
    f[0] = Math.sqrt(-2 * Math.log(a + 1e-12)) * Math.cos(2 * Math.PI * b) * std; // Box-Muller
    const x = u[0] as number;
    // truncation to fp16 is fine for test data
    const sign = (x >>> 16) & 0x8000;
    const e = ((x >>> 23) & 0xff) - 127 + 15;
    out[i] = e <= 0 ? sign : e >= 31 ? sign | 0x7bff : sign | (e << 10) | ((x >>> 13) & 0x3ff);
  }
  return new Uint8Array(out.buffer);
}

/** What {@link writeSyntheticModel} wrote. */
export interface SyntheticModel {
  readonly path: string;
  readonly bytes: number;
  readonly layers: number;
  readonly width: number;
}

/** Writes a synthetic fp16 MatMul chain of about `targetBytes` (weights of `width` x `width`). */
export async function writeSyntheticModel(path: string, targetBytes: number, width = 4096): Promise<SyntheticModel> {
  const weightBytes = width * width * 2;
  const layers = Math.max(1, Math.round(targetBytes / weightBytes));
  const bits = weightBits(width, 1234);
  const graph = new ProtoWriter();
  graph.bytes(1, node('Cast', ['x'], ['h0'], FLOAT16));
  for (let i = 0; i < layers; i++) graph.bytes(1, node('MatMul', [`h${i}`, `W${i}`], [`h${i + 1}`]));
  graph.bytes(1, node('Cast', [`h${layers}`], ['y'], FLOAT));
  graph.string(2, 'synthetic');
  const tail = new ProtoWriter().message(11, valueInfo('x', FLOAT, [1, width])).message(12, valueInfo('y', FLOAT, [1, width]));
  const tensorHeaders: Uint8Array[] = [];
  let initializerBytes = 0;
  for (let i = 0; i < layers; i++) {
    const h = new ProtoWriter()
      .varint(1, width)
      .varint(1, width)
      .varint(2, FLOAT16)
      .string(8, `W${i}`)
      .raw(encodeVarint(9 * 8 + 2))
      .raw(encodeVarint(weightBytes))
      .finish();
    tensorHeaders.push(h);
    initializerBytes += 1 + encodeVarint(h.byteLength + weightBytes).byteLength + h.byteLength + weightBytes;
  }
  const graphHead = graph.finish();
  const graphTail = tail.finish();
  const graphLength = graphHead.byteLength + initializerBytes + graphTail.byteLength;
  const opset = new ProtoWriter().string(1, '').varint(2, 17);
  const head = new ProtoWriter()
    .varint(1, 8)
    .string(2, 'hybridgen-synthetic')
    .message(8, opset)
    .raw(encodeVarint(7 * 8 + 2))
    .raw(encodeVarint(graphLength))
    .finish();

  const file = await open(path, 'w');
  try {
    await file.write(head);
    await file.write(graphHead);
    for (const h of tensorHeaders) {
      await file.write(encodeVarint(5 * 8 + 2));
      await file.write(encodeVarint(h.byteLength + weightBytes));
      await file.write(h);
      await file.write(bits);
    }
    await file.write(graphTail);
  } finally {
    await file.close();
  }
  return { path, bytes: head.byteLength + graphLength, layers, width };
}
