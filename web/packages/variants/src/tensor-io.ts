/**
 * Tensor values in and out of the streaming transform: chunked reads of an
 * initializer's values (raw_data range or external file) and TensorProto
 * encoding with inline or external data.
 */

import type { BlobLike, BlobReader } from '@hybridgen/core';
import { fields, MalformedModelError, ProtoWriter, readInts, WIRE } from '@hybridgen/core';
import { UnsupportedModelError } from './errors.js';
import { widenFloat16Values } from './float16.js';
import { DATA_LOCATION_EXTERNAL, DataType, ENTRY, TENSOR } from './onnx-schema.js';
import type { ExternalDataResolver, TensorHeader } from './scan.js';

/** Reads an initializer's values as little-endian bytes of its own type, `chunkBytes` at a time (a multiple of 8). */
export async function* valueChunks(
  tensor: TensorHeader,
  reader: BlobReader,
  resolveExternal: ExternalDataResolver | undefined,
  chunkBytes: number,
): AsyncGenerator<Uint8Array> {
  const { data } = tensor;
  let blob: BlobLike;
  let start: number;
  let end: number;
  if (data.kind === 'raw') {
    blob = reader.blob;
    start = data.start;
    end = data.end;
  } else if (data.kind === 'external') {
    const file = resolveExternal?.(data.location);
    if (!file) throw new UnsupportedModelError(`initializer ${tensor.name} is stored in external file ${data.location}, which was not provided`);
    blob = file;
    start = data.offset;
    end = start + (data.length ?? tensor.byteLength);
    if (end > file.size) throw new MalformedModelError(`external data of ${tensor.name} runs past the end of ${data.location} (truncated)`, file.size);
  } else if (data.kind === 'typed') {
    yield await typedValueBytes(tensor, reader);
    return;
  } else {
    return;
  }
  for (let pos = start; pos < end; pos += chunkBytes) {
    const stop = Math.min(end, pos + chunkBytes);
    const bytes = new Uint8Array(await blob.slice(pos, stop).arrayBuffer());
    reader.bytesRead += bytes.byteLength;
    if (bytes.byteLength !== stop - pos) throw new MalformedModelError(`short read in ${tensor.name}`, pos);
    yield bytes;
  }
}

/** The values of a tensor written in typed fields (float_data, int32_data for float16, double_data), as raw bytes. */
async function typedValueBytes(tensor: TensorHeader, reader: BlobReader): Promise<Uint8Array> {
  if (tensor.data.kind !== 'typed') throw new Error('not typed');
  const parts: Uint8Array[] = [];
  for (const f of tensor.data.fields) parts.push(await reader.read(f.headerStart, f.end));
  if (tensor.dataType === DataType.FLOAT16) {
    const bits: number[] = [];
    for (const p of parts) for (const f of fields(p)) if (f.field === TENSOR.int32Data) readInts(p, f, bits);
    const halves = Uint16Array.from(bits, (b) => b & 0xffff);
    return new Uint8Array(halves.buffer);
  }
  if (tensor.dataType === DataType.FLOAT) {
    const values: number[] = [];
    for (const p of parts) {
      for (const f of fields(p)) {
        if (f.field !== TENSOR.floatData) continue;
        if (f.wire === WIRE.I32) values.push(new DataView(p.buffer, p.byteOffset + f.start, 4).getFloat32(0, true));
        else {
          const view = new DataView(p.buffer, p.byteOffset + f.start, f.end - f.start);
          for (let i = 0; i + 4 <= view.byteLength; i += 4) values.push(view.getFloat32(i, true));
        }
      }
    }
    return new Uint8Array(Float32Array.from(values).buffer);
  }
  if (tensor.dataType === DataType.DOUBLE) {
    const out: Uint8Array[] = [];
    for (const p of parts) for (const f of fields(p)) if (f.field === TENSOR.doubleData) out.push(p.slice(f.start, f.end));
    const bytes = new Uint8Array(out.reduce((a, b) => a + b.byteLength, 0));
    let o = 0;
    for (const b of out) {
      bytes.set(b, o);
      o += b.byteLength;
    }
    return bytes;
  }
  throw new UnsupportedModelError(`initializer ${tensor.name} stores ${tensor.dataType} values in typed fields; only raw_data is streamed`);
}

/** Float32 view of little-endian float32 or float16 bytes (copying only when unaligned). */
export function asFloat32(bytes: Uint8Array, dataType: number, widen: (b: Uint8Array) => Float32Array): Float32Array {
  if (dataType === DataType.FLOAT16) return widen(bytes);
  if (dataType !== DataType.FLOAT) throw new UnsupportedModelError(`expected float data, got data type ${dataType}`);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}

/** Re-exported for typed float16 values held as numbers. */
export { widenFloat16Values };

/** Where a new tensor's values go. */
export type TensorPayload =
  | { readonly raw: Uint8Array }
  | { readonly external: { readonly location: string; readonly offset: number; readonly length: number } };

/** Encodes a TensorProto. `keptFields` (dims, name, doc_string...) are copied as they are; otherwise `name` and `dims` are written. */
export function encodeTensor(
  spec: { readonly dataType: number; readonly keptFields?: readonly Uint8Array[]; readonly name?: string; readonly dims?: readonly number[] },
  payload: TensorPayload,
): Uint8Array {
  const out = new ProtoWriter();
  if (spec.keptFields) for (const k of spec.keptFields) out.raw(k);
  else {
    for (const d of spec.dims ?? []) out.varint(TENSOR.dims, d);
    out.string(TENSOR.name, spec.name ?? '');
  }
  out.varint(TENSOR.dataType, spec.dataType);
  if ('raw' in payload) out.bytes(TENSOR.rawData, payload.raw);
  else {
    const entry = (key: string, value: string) => new ProtoWriter().string(ENTRY.key, key).string(ENTRY.value, value);
    out.message(TENSOR.externalData, entry('location', payload.external.location));
    out.message(TENSOR.externalData, entry('offset', String(payload.external.offset)));
    out.message(TENSOR.externalData, entry('length', String(payload.external.length)));
    out.varint(TENSOR.dataLocation, DATA_LOCATION_EXTERNAL);
  }
  return out.finish();
}
