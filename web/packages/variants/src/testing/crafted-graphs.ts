/**
 * Test helpers (Node only, not built into dist): small ONNX graphs crafted
 * with `onnx-proto`, a decoder for what the transforms write, and a runner
 * on onnxruntime-node that writes a folder to disk first (external data).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { float32ToHalf } from '@hybridgen/core/half';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import type { MemoryFolder } from '../output.js';

export const { onnx } = onnxProto;
export const T = onnx.TensorProto.DataType;

/** A value_info. */
export function valueInfo(name: string, elemType: number, dims: readonly number[]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** A float16 tensor with raw_data. */
export function f16(name: string, dims: readonly number[], values: ArrayLike<number>): onnxProto.onnx.ITensorProto {
  return { name, dims: [...dims], dataType: T.FLOAT16, rawData: new Uint8Array(float32ToHalf(Float32Array.from(values)).buffer) };
}

/** A float32 tensor with raw_data. */
export function f32(name: string, dims: readonly number[], values: ArrayLike<number>): onnxProto.onnx.ITensorProto {
  return { name, dims: [...dims], dataType: T.FLOAT, rawData: new Uint8Array(Float32Array.from(values).buffer) };
}

/** Deterministic pseudo-random values in [-1, 1). */
export function wave(count: number, seed = 1): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** An attribute. */
export function attr(name: string, value: number | onnxProto.onnx.ITensorProto | onnxProto.onnx.IGraphProto, kind?: 'graph'): onnxProto.onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof value === 'number') return { name, type: A.INT, i: value };
  if (kind === 'graph') return { name, type: A.GRAPH, g: value as onnxProto.onnx.IGraphProto };
  return { name, type: A.TENSOR, t: value as onnxProto.onnx.ITensorProto };
}

/** A ModelProto's bytes. */
export function modelBytes(graph: onnxProto.onnx.IGraphProto, opset = 17): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: '', version: opset }], producerName: 'crafted', graph }).finish();
}

/** Decodes a model protobuf. */
export function decode(bytes: Uint8Array): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}

/** Writes files to a temporary folder; returns it and a cleanup. */
export function onDisk(files: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'variants-'));
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  for (const [name, data] of entries) writeFileSync(join(dir, name), data);
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs a model (with its external data) in onnxruntime-node's CPU EP; returns the named output. */
export async function runOnDisk(
  files: ReadonlyMap<string, Uint8Array> | Readonly<Record<string, Uint8Array>>,
  modelName: string,
  feeds: Record<string, ort.Tensor>,
  output: string,
): Promise<Float32Array> {
  const { dir, cleanup } = onDisk(files);
  try {
    const session = await ort.InferenceSession.create(join(dir, modelName), { intraOpNumThreads: 1 });
    try {
      const result = await session.run(feeds);
      return (result[output] as ort.Tensor).data as Float32Array;
    } finally {
      await session.release();
    }
  } finally {
    cleanup();
  }
}

/** The files of a MemoryFolder. */
export function filesOf(folder: MemoryFolder): Map<string, Uint8Array> {
  return folder.files;
}

/** A Blob over bytes. */
export function blobOf(bytes: Uint8Array): Blob {
  return new Blob([bytes as Uint8Array<ArrayBuffer>]);
}

export { ort };

/** Decoded message types. */
export type ModelProto = onnxProto.onnx.ModelProto;
export type GraphProto = onnxProto.onnx.GraphProto;
export type IGraphProto = onnxProto.onnx.IGraphProto;
