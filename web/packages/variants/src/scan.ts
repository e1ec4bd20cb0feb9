/**
 * A cheap structural scan of an ONNX model in a Blob: the top-level fields,
 * the graph's fields in order, each node's bytes (small) and each
 * initializer's header (name, type, dims, where its data lies) without
 * reading weight payloads. The budget check and both transforms start here.
 */

import type { BlobLike, BlobReader } from '@hybridgen/core';
import { type Field, fieldString, fields, MalformedModelError, readInts, WIRE } from '@hybridgen/core';
import { UnsupportedModelError } from './errors.js';
import { bitsPerElement, DATA_LOCATION_EXTERNAL, dataTypeName, ENTRY, GRAPH, MODEL, NODE, OPSET, TENSOR } from './onnx-schema.js';

/** Where an initializer's values are. */
export type TensorData =
  /** `raw_data`: the byte range in the file. */
  | { readonly kind: 'raw'; readonly start: number; readonly end: number }
  /** Typed repeated fields (`float_data`, `int32_data`, ...): small tensors written without raw_data. */
  | { readonly kind: 'typed'; readonly fields: readonly Field[] }
  /** ONNX external data: a file next to the model. */
  | { readonly kind: 'external'; readonly location: string; readonly offset: number; readonly length: number | null }
  /** No values (an empty tensor). */
  | { readonly kind: 'empty' };

/** An initializer's header: everything but its values. */
export interface TensorHeader {
  readonly name: string;
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly elementCount: number;
  /** Bytes of the values at their type's width. */
  readonly byteLength: number;
  readonly data: TensorData;
  /** Fields other than the values, data type and external-data fields, verbatim (dims, name, doc_string...). */
  readonly keptFields: readonly Uint8Array[];
}

/** A node: its bytes and the fields the transforms look at. */
export interface NodeInfo {
  readonly bytes: Uint8Array;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** One field of the graph, in file order. */
export type GraphEntry =
  | { readonly kind: 'node'; readonly node: NodeInfo }
  | { readonly kind: 'initializer'; readonly tensor: TensorHeader; readonly field: Field }
  | { readonly kind: 'other'; readonly field: Field };

/** The layout of a model file. */
export interface ModelLayout {
  readonly fileBytes: number;
  readonly irVersion: number;
  /** Opset per domain (`''` is ai.onnx). */
  readonly opsets: ReadonlyMap<string, number>;
  /** Top-level fields in order; the graph is `MODEL.graph`. */
  readonly modelFields: readonly Field[];
  readonly graph: Field;
  readonly graphEntries: readonly GraphEntry[];
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Parses a TensorProto's non-value fields from bytes already in memory (`payload` = the tensor's bytes). */
export function tensorHeaderFromBytes(payload: Uint8Array, base = 0): TensorHeader {
  let name = '';
  let dataType = 0;
  const dims: number[] = [];
  const kept: Uint8Array[] = [];
  const typed: Field[] = [];
  let raw: { start: number; end: number } | null = null;
  const external = new Map<string, string>();
  let location = 0;
  for (const f of fields(payload)) {
    switch (f.field) {
      case TENSOR.rawData:
        raw = { start: base + f.start, end: base + f.end };
        break;
      case TENSOR.floatData:
      case TENSOR.int32Data:
      case TENSOR.stringData:
      case TENSOR.int64Data:
      case TENSOR.doubleData:
      case TENSOR.uint64Data:
        typed.push({ ...f, headerStart: base + f.headerStart, start: base + f.start, end: base + f.end });
        break;
      case TENSOR.dataType:
        dataType = f.value;
        break;
      case TENSOR.dataLocation:
        location = f.value;
        break;
      case TENSOR.externalData: {
        let key = '';
        let value = '';
        for (const e of fields(payload, f.start, f.end)) {
          if (e.field === ENTRY.key) key = fieldString(payload, e);
          else if (e.field === ENTRY.value) value = fieldString(payload, e);
        }
        external.set(key, value);
        break;
      }
      default:
        if (f.field === TENSOR.dims) readInts(payload, f, dims);
        if (f.field === TENSOR.name && f.wire === WIRE.LEN) name = fieldString(payload, f);
        if (f.field === TENSOR.segment) throw new UnsupportedModelError('segmented tensors (TensorProto.segment) are not supported');
        kept.push(payload.subarray(f.headerStart, f.end));
    }
  }
  const bits = bitsPerElement(dataType);
  if (bits === undefined || bits === 0) {
    if (dataType !== 8) throw new UnsupportedModelError(`initializer ${name || '(unnamed)'} has an unsupported ${dataTypeName(dataType)} element type`);
  }
  const elementCount = product(dims);
  const byteLength = Math.ceil((elementCount * (bits ?? 0)) / 8);
  let data: TensorData;
  if (location === DATA_LOCATION_EXTERNAL) {
    const where = external.get('location');
    if (!where) throw new MalformedModelError(`initializer ${name} is external but names no location`, base);
    const length = external.get('length');
    data = { kind: 'external', location: where, offset: Number(external.get('offset') ?? 0), length: length === undefined ? null : Number(length) };
  } else if (raw) {
    data = { kind: 'raw', ...raw };
  } else if (typed.length) {
    data = { kind: 'typed', fields: typed };
  } else {
    data = { kind: 'empty' };
  }
  if (data.kind === 'raw' && data.end - data.start !== byteLength && dataType !== 8) {
    throw new MalformedModelError(`initializer ${name} has ${data.end - data.start} bytes of raw_data for ${byteLength} expected`, data.start);
  }
  return { name, dataType, dims, elementCount, byteLength, data, keptFields: kept };
}

/** Reads a TensorProto's header from the Blob, skipping its values. */
async function scanTensor(reader: BlobReader, f: Field): Promise<TensorHeader> {
  // Read every field but the values; rebuild a payload of just those to parse in memory.
  const parts: Uint8Array[] = [];
  const valueFields: Field[] = [];
  for await (const g of reader.fields(f.start, f.end)) {
    const isValues =
      g.field === TENSOR.rawData ||
      (g.field >= TENSOR.floatData && g.field <= TENSOR.int64Data) ||
      g.field === TENSOR.doubleData ||
      g.field === TENSOR.uint64Data;
    if (isValues && g.field !== TENSOR.stringData) valueFields.push(g);
    else parts.push(await reader.read(g.headerStart, g.end));
  }
  const size = parts.reduce((a, p) => a + p.byteLength, 0);
  const payload = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    payload.set(p, o);
    o += p.byteLength;
  }
  const header = tensorHeaderFromBytes(payload);
  const raw = valueFields.find((g) => g.field === TENSOR.rawData);
  let data = header.data;
  if (header.data.kind !== 'external') {
    if (raw) data = { kind: 'raw', start: raw.start, end: raw.end };
    else if (valueFields.length) data = { kind: 'typed', fields: valueFields };
  }
  if (data.kind === 'raw' && data.end - data.start !== header.byteLength) {
    throw new MalformedModelError(`initializer ${header.name} has ${data.end - data.start} bytes of raw_data for ${header.byteLength} expected`, data.start);
  }
  return { ...header, data };
}

/** Decodes a node's op type, domain, inputs and outputs. */
export function nodeInfo(bytes: Uint8Array): NodeInfo {
  let opType = '';
  let domain = '';
  const inputs: string[] = [];
  const outputs: string[] = [];
  for (const f of fields(bytes)) {
    if (f.wire !== WIRE.LEN) continue;
    if (f.field === NODE.opType) opType = fieldString(bytes, f);
    else if (f.field === NODE.domain) domain = fieldString(bytes, f);
    else if (f.field === NODE.input) inputs.push(fieldString(bytes, f));
    else if (f.field === NODE.output) outputs.push(fieldString(bytes, f));
  }
  return { bytes, opType, domain, inputs, outputs };
}

/**
 * Scans the model in `reader`. Reads node bytes and tensor headers; skips
 * weight values. Throws {@link MalformedModelError} on truncated or
 * malformed input, {@link UnsupportedModelError} on unknown tensor types.
 */
export async function scanModel(reader: BlobReader): Promise<ModelLayout> {
  const modelFields: Field[] = [];
  let irVersion = 0;
  const opsets = new Map<string, number>();
  let graph: Field | undefined;
  for await (const f of reader.fields(0, reader.size)) {
    modelFields.push(f);
    if (f.field === MODEL.irVersion && f.wire === WIRE.VARINT) irVersion = f.value;
    else if (f.field === MODEL.graph && f.wire === WIRE.LEN) graph = f;
    else if (f.field === MODEL.opsetImport && f.wire === WIRE.LEN) {
      const bytes = await reader.read(f.start, f.end);
      let domain = '';
      let version = 0;
      for (const g of fields(bytes)) {
        if (g.field === OPSET.domain && g.wire === WIRE.LEN) domain = fieldString(bytes, g);
        if (g.field === OPSET.version && g.wire === WIRE.VARINT) version = g.value;
      }
      opsets.set(domain === 'ai.onnx' ? '' : domain, version);
    }
  }
  if (!graph) throw new MalformedModelError('no graph in the model (not an ONNX ModelProto?)', 0);
  const graphEntries: GraphEntry[] = [];
  for await (const f of reader.fields(graph.start, graph.end)) {
    if (f.wire !== WIRE.LEN) graphEntries.push({ kind: 'other', field: f });
    else if (f.field === GRAPH.node) graphEntries.push({ kind: 'node', node: nodeInfo(await reader.read(f.start, f.end)) });
    else if (f.field === GRAPH.initializer) graphEntries.push({ kind: 'initializer', tensor: await scanTensor(reader, f), field: f });
    else graphEntries.push({ kind: 'other', field: f });
  }
  return { fileBytes: reader.size, irVersion, opsets, modelFields, graph, graphEntries };
}

/** The initializers of a scanned model. */
export function initializersOf(layout: ModelLayout): TensorHeader[] {
  return layout.graphEntries.flatMap((e) => (e.kind === 'initializer' ? [e.tensor] : []));
}

/** Resolves an external-data location of the input model to its file. */
export type ExternalDataResolver = (location: string) => BlobLike | undefined;
