/**
 * The fp16 -> fp32 rewrite of the small parts of a graph, in memory (float64
 * is narrowed to float32 alongside, see `float64.ts`): node
 * attributes (Cast `to`, `dtype` of generators, Constant and other tensor
 * attributes, subgraphs of If/Loop/Scan), value types (graph inputs,
 * outputs, value_info, nested sequence/optional/map types) and small
 * tensors. Fields it does not change are copied byte for byte, unknown
 * fields included.
 */

import { fieldString, fields, ProtoWriter, readInts, WIRE } from '@hybridgen/core';
import { UnsupportedModelError } from './errors.js';
import { widenFloat16Bytes, widenFloat16Values } from './float16.js';
import { narrowFloat64Bytes, TO_FLOAT32 } from './float64.js';
import { ATTR, DataType, FUNCTION, GRAPH, NODE, SPARSE, TENSOR, TYPE, VALUE_INFO } from './onnx-schema.js';
import { tensorHeaderFromBytes } from './scan.js';

/** Counts of what a rewrite changed. */
export interface RewriteCounts {
  /** Cast (and generator `dtype`) attributes retargeted from float16 (or float64) to float32. */
  castsRewritten: number;
  /** Tensors widened in node attributes (Constant values and others). */
  attributeTensorsWidened: number;
  /** Value types (inputs, outputs, value_info) rewritten. */
  typesRewritten: number;
  /** Initializers widened (small, in memory, plus streamed ones counted by the caller). */
  initializersWidened: number;
}

/** Fresh zero counts. */
export function emptyCounts(): RewriteCounts {
  return { castsRewritten: 0, attributeTensorsWidened: 0, typesRewritten: 0, initializersWidened: 0 };
}

/** Ops whose `dtype` attribute names an output element type. */
const DTYPE_OPS = new Set(['EyeLike', 'RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/** Rewrites a TypeProto's float16 and float64 element types (nested ones too); returns the same bytes when nothing changed. */
export function rewriteType(bytes: Uint8Array, counts: RewriteCounts): Uint8Array {
  let changed = false;
  const out = new ProtoWriter();
  for (const f of fields(bytes)) {
    const isTensor = (f.field === TYPE.tensorType || f.field === TYPE.sparseTensorType) && f.wire === WIRE.LEN;
    const isNested = (f.field === TYPE.sequenceType || f.field === TYPE.optionalType || f.field === TYPE.mapType) && f.wire === WIRE.LEN;
    if (isTensor) {
      const inner = new ProtoWriter();
      let innerChanged = false;
      for (const g of fields(bytes, f.start, f.end)) {
        if (g.field === TYPE.elemType && g.wire === WIRE.VARINT && TO_FLOAT32.has(g.value)) {
          inner.varint(TYPE.elemType, DataType.FLOAT);
          innerChanged = true;
        } else inner.raw(bytes.subarray(g.headerStart, g.end));
      }
      if (innerChanged) {
        counts.typesRewritten++;
        changed = true;
        out.message(f.field, inner);
        continue;
      }
    } else if (isNested) {
      const inner = new ProtoWriter();
      let innerChanged = false;
      const typeField = f.field === TYPE.mapType ? TYPE.mapValueType : TYPE.elemType;
      for (const g of fields(bytes, f.start, f.end)) {
        if (g.field === typeField && g.wire === WIRE.LEN) {
          const sub = bytes.subarray(g.start, g.end);
          const next = rewriteType(sub, counts);
          if (next !== sub) innerChanged = true;
          inner.bytes(g.field, next);
        } else inner.raw(bytes.subarray(g.headerStart, g.end));
      }
      if (innerChanged) {
        changed = true;
        out.message(f.field, inner);
        continue;
      }
    }
    out.raw(bytes.subarray(f.headerStart, f.end));
  }
  return changed ? out.finish() : bytes;
}

/** Rewrites a ValueInfoProto's type. */
export function rewriteValueInfo(bytes: Uint8Array, counts: RewriteCounts): Uint8Array {
  const out = new ProtoWriter();
  let changed = false;
  for (const f of fields(bytes)) {
    if (f.field === VALUE_INFO.type && f.wire === WIRE.LEN) {
      const sub = bytes.subarray(f.start, f.end);
      const next = rewriteType(sub, counts);
      if (next !== sub) changed = true;
      out.bytes(f.field, next);
    } else out.raw(bytes.subarray(f.headerStart, f.end));
  }
  return changed ? out.finish() : bytes;
}

/** Encodes a float32 TensorProto from the kept fields of another and new values. */
export function float32Tensor(keptFields: readonly Uint8Array[], values: Float32Array): Uint8Array {
  const out = new ProtoWriter();
  for (const k of keptFields) out.raw(k);
  out.varint(TENSOR.dataType, DataType.FLOAT);
  out.bytes(TENSOR.rawData, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return out.finish();
}

/** The float32 values of a float16 tensor held in memory (raw_data or int32_data). */
function float16Values(bytes: Uint8Array, header: ReturnType<typeof tensorHeaderFromBytes>): Float32Array {
  const { data } = header;
  if (data.kind === 'raw') return widenFloat16Bytes(bytes.subarray(data.start, data.end));
  if (data.kind !== 'typed') return new Float32Array(0);
  const bits: number[] = [];
  for (const f of data.fields) {
    if (f.field !== TENSOR.int32Data)
      throw new UnsupportedModelError(`float16 tensor ${header.name} stores values in field ${f.field}, expected raw_data or int32_data`);
    readInts(bytes, f, bits);
  }
  return widenFloat16Values(bits);
}

/** The float32 values of a float64 tensor held in memory (raw_data or double_data, packed or not). */
function float64Values(bytes: Uint8Array, header: ReturnType<typeof tensorHeaderFromBytes>): Float32Array {
  const { data } = header;
  if (data.kind === 'raw') return narrowFloat64Bytes(bytes.subarray(data.start, data.end));
  if (data.kind !== 'typed') return new Float32Array(0);
  const parts: Float32Array[] = [];
  for (const f of data.fields) {
    if (f.field !== TENSOR.doubleData || (f.wire !== WIRE.LEN && f.wire !== WIRE.I64))
      throw new UnsupportedModelError(`float64 tensor ${header.name} stores values in field ${f.field}, expected raw_data or double_data`);
    parts.push(narrowFloat64Bytes(bytes.subarray(f.start, f.end)));
  }
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Widens a float16 (or narrows a float64) TensorProto held in memory to
 * float32; other tensors come back unchanged. External data is refused here:
 * the streaming transform handles external initializers.
 */
export function widenTensorBytes(bytes: Uint8Array): Uint8Array {
  const header = tensorHeaderFromBytes(bytes);
  if (!TO_FLOAT32.has(header.dataType)) return bytes;
  const kind = header.dataType === DataType.FLOAT16 ? 'float16' : 'float64';
  if (header.data.kind === 'external') throw new UnsupportedModelError(`${kind} tensor ${header.name} inside a node attribute uses external data`);
  const values = header.dataType === DataType.FLOAT16 ? float16Values(bytes, header) : float64Values(bytes, header);
  if (values.length !== header.elementCount)
    throw new UnsupportedModelError(`${kind} tensor ${header.name} has ${values.length} values for ${header.elementCount} elements`);
  return float32Tensor(header.keptFields, values);
}

function widenSparse(bytes: Uint8Array, counts: RewriteCounts): Uint8Array {
  const out = new ProtoWriter();
  for (const f of fields(bytes)) {
    if (f.field === SPARSE.values && f.wire === WIRE.LEN) {
      const sub = bytes.subarray(f.start, f.end);
      const next = widenTensorBytes(sub);
      if (next !== sub) counts.attributeTensorsWidened++;
      out.bytes(f.field, next);
    } else out.raw(bytes.subarray(f.headerStart, f.end));
  }
  return out.finish();
}

function rewriteAttribute(bytes: Uint8Array, opType: string, counts: RewriteCounts): Uint8Array {
  let name = '';
  for (const f of fields(bytes)) if (f.field === ATTR.name && f.wire === WIRE.LEN) name = fieldString(bytes, f);
  const retypes = (opType === 'Cast' && name === 'to') || (DTYPE_OPS.has(opType) && name === 'dtype');
  const out = new ProtoWriter();
  for (const f of fields(bytes)) {
    const sub = bytes.subarray(f.start, f.end);
    if (retypes && f.field === ATTR.i && f.wire === WIRE.VARINT && TO_FLOAT32.has(f.value)) {
      out.varint(ATTR.i, DataType.FLOAT);
      counts.castsRewritten++;
    } else if ((f.field === ATTR.t || f.field === ATTR.tensors) && f.wire === WIRE.LEN) {
      const next = widenTensorBytes(sub);
      if (next !== sub) counts.attributeTensorsWidened++;
      out.bytes(f.field, next);
    } else if ((f.field === ATTR.sparseTensor || f.field === ATTR.sparseTensors) && f.wire === WIRE.LEN) {
      out.bytes(f.field, widenSparse(sub, counts));
    } else if ((f.field === ATTR.g || f.field === ATTR.graphs) && f.wire === WIRE.LEN) {
      out.bytes(f.field, rewriteGraphBytes(sub, counts));
    } else if ((f.field === 14 || f.field === 15) && f.wire === WIRE.LEN) {
      // tp / type_protos
      out.bytes(f.field, rewriteType(sub, counts));
    } else out.raw(bytes.subarray(f.headerStart, f.end));
  }
  return out.finish();
}

/** Rewrites a NodeProto's attributes; returns the same bytes when there are none. */
export function rewriteNode(bytes: Uint8Array, counts: RewriteCounts): Uint8Array {
  let opType = '';
  let hasAttributes = false;
  for (const f of fields(bytes)) {
    if (f.field === NODE.opType && f.wire === WIRE.LEN) opType = fieldString(bytes, f);
    if (f.field === NODE.attribute) hasAttributes = true;
  }
  if (!hasAttributes) return bytes;
  const out = new ProtoWriter();
  for (const f of fields(bytes)) {
    if (f.field === NODE.attribute && f.wire === WIRE.LEN) out.bytes(f.field, rewriteAttribute(bytes.subarray(f.start, f.end), opType, counts));
    else out.raw(bytes.subarray(f.headerStart, f.end));
  }
  return out.finish();
}

/** Rewrites a whole GraphProto held in memory (subgraphs of If/Loop/Scan: small). */
export function rewriteGraphBytes(bytes: Uint8Array, counts: RewriteCounts): Uint8Array {
  const out = new ProtoWriter();
  for (const f of fields(bytes)) {
    const sub = bytes.subarray(f.start, f.end);
    if (f.wire !== WIRE.LEN) out.raw(bytes.subarray(f.headerStart, f.end));
    else if (f.field === GRAPH.node) out.bytes(f.field, rewriteNode(sub, counts));
    else if (f.field === GRAPH.initializer) {
      const next = widenTensorBytes(sub);
      if (next !== sub) counts.initializersWidened++;
      out.bytes(f.field, next);
    } else if (f.field === GRAPH.sparseInitializer) out.bytes(f.field, widenSparse(sub, counts));
    else if (f.field === GRAPH.input || f.field === GRAPH.output || f.field === GRAPH.valueInfo) out.bytes(f.field, rewriteValueInfo(sub, counts));
    else out.raw(bytes.subarray(f.headerStart, f.end));
  }
  return out.finish();
}

/** Rewrites a FunctionProto's nodes and value_info (model-local functions). */
export function rewriteFunctionBytes(bytes: Uint8Array, counts: RewriteCounts): Uint8Array {
  const out = new ProtoWriter();
  for (const f of fields(bytes)) {
    const sub = bytes.subarray(f.start, f.end);
    if (f.field === FUNCTION.node && f.wire === WIRE.LEN) out.bytes(f.field, rewriteNode(sub, counts));
    else if (f.field === FUNCTION.valueInfo && f.wire === WIRE.LEN) out.bytes(f.field, rewriteValueInfo(sub, counts));
    else out.raw(bytes.subarray(f.headerStart, f.end));
  }
  return out.finish();
}
