/**
 * A read-only view of a scanned graph's nodes for pattern rewrites: who
 * produces and who consumes each tensor, node attributes, and the values of
 * small constants (Constant nodes and small initializers, read once).
 */

import { type BlobLike, BlobReader, type Field, fieldString, fields, WIRE } from '@hybridgen/core';
import { widenFloat16Bytes } from './float16.js';
import { ATTR, DataType, NODE } from './onnx-schema.js';
import { type ExternalDataResolver, type ModelLayout, type NodeInfo, type TensorHeader, tensorHeaderFromBytes } from './scan.js';
import { valueChunks } from './tensor-io.js';

/** A decoded attribute: what the rewrites read. */
export interface AttributeValue {
  readonly i?: number;
  readonly f?: number;
  readonly ints?: readonly number[];
  /** Bytes of a tensor attribute (`t`). */
  readonly t?: Uint8Array;
  /** True when the attribute holds a subgraph. */
  readonly graph?: boolean;
}

/** A small constant's values (element type and dims kept for checks). */
export interface ConstantValue {
  readonly dataType: number;
  readonly dims: readonly number[];
  readonly values: readonly number[];
}

/** Constants above this many elements are never read (rewrites only need scalars and shape vectors). */
const MAX_CONSTANT_ELEMENTS = 16;

/** Decodes a varint at `pos` exactly as a signed 64-bit integer (int64 attributes can be negative). */
function signedVarint(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0n;
  let shift = 0n;
  let p = pos;
  for (;;) {
    const b = bytes[p++] ?? 0;
    value |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if (!(b & 0x80) || p >= bytes.length) break;
  }
  return [Number(BigInt.asIntN(64, value)), p];
}

function signedInts(bytes: Uint8Array, f: Field, into: number[]): void {
  if (f.wire === WIRE.VARINT) {
    into.push(signedVarint(bytes, f.start)[0]);
    return;
  }
  for (let p = f.start; p < f.end; ) {
    const [v, next] = signedVarint(bytes, p);
    into.push(v);
    p = next;
  }
}

/** The attributes of a node, by name. */
export function nodeAttributes(node: NodeInfo): Map<string, AttributeValue> {
  const out = new Map<string, AttributeValue>();
  const bytes = node.bytes;
  for (const a of fields(bytes)) {
    if (a.field !== NODE.attribute || a.wire !== WIRE.LEN) continue;
    let name = '';
    const ints: number[] = [];
    const value: { i?: number; f?: number; ints?: number[]; t?: Uint8Array; graph?: boolean } = {};
    for (const g of fields(bytes, a.start, a.end)) {
      if (g.field === ATTR.name && g.wire === WIRE.LEN) name = fieldString(bytes, g);
      else if (g.field === ATTR.i && g.wire === WIRE.VARINT) value.i = signedVarint(bytes, g.start)[0];
      else if (g.field === ATTR.f && g.wire === WIRE.I32) value.f = new DataView(bytes.buffer, bytes.byteOffset + g.start, 4).getFloat32(0, true);
      else if (g.field === ATTR.ints) {
        signedInts(bytes, g, ints);
        value.ints = ints;
      } else if (g.field === ATTR.t && g.wire === WIRE.LEN) value.t = bytes.subarray(g.start, g.end);
      else if (g.field === ATTR.g || g.field === ATTR.graphs) value.graph = true;
    }
    out.set(name, value);
  }
  return out;
}

function decodeValues(bytes: Uint8Array, dataType: number): number[] | null {
  const copy = bytes.slice();
  switch (dataType) {
    case DataType.FLOAT:
      return [...new Float32Array(copy.buffer)];
    case DataType.FLOAT16:
      return [...widenFloat16Bytes(copy)];
    case DataType.DOUBLE:
      return [...new Float64Array(copy.buffer)];
    case DataType.INT64:
      return [...new BigInt64Array(copy.buffer)].map(Number);
    case DataType.INT32:
      return [...new Int32Array(copy.buffer)];
    default:
      return null;
  }
}

async function readTensor(header: TensorHeader, reader: BlobReader, resolve?: ExternalDataResolver): Promise<ConstantValue | null> {
  if (header.elementCount > MAX_CONSTANT_ELEMENTS) return null;
  const parts: Uint8Array[] = [];
  for await (const chunk of valueChunks(header, reader, resolve, 4096)) parts.push(chunk.slice());
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.byteLength;
  }
  const values = decodeValues(all, header.dataType);
  return values && values.length === header.elementCount ? { dataType: header.dataType, dims: header.dims, values } : null;
}

/** Producers, consumers and constants of a graph's top-level nodes. */
export class GraphView {
  readonly nodes: readonly NodeInfo[];
  readonly producer = new Map<string, NodeInfo>();
  /** Input occurrences per tensor (a node reading a tensor twice counts twice). */
  readonly uses = new Map<string, number>();
  readonly constants = new Map<string, ConstantValue>();
  /** The small constants that are initializers (not Constant nodes). */
  readonly initializerConstants = new Set<string>();
  private readonly attributes = new Map<NodeInfo, Map<string, AttributeValue>>();

  private constructor(layout: ModelLayout) {
    this.nodes = layout.graphEntries.flatMap((e) => (e.kind === 'node' ? [e.node] : []));
    for (const node of this.nodes) {
      for (const o of node.outputs) if (o) this.producer.set(o, node);
      for (const i of node.inputs) if (i) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    }
  }

  /**
   * Builds the view and reads the small constants: Constant nodes' tensors and
   * initializers of at most 16 elements that no graph input overrides.
   */
  static async of(layout: ModelLayout, reader: BlobReader, graphInputs: ReadonlySet<string>, resolve?: ExternalDataResolver): Promise<GraphView> {
    const view = new GraphView(layout);
    for (const e of layout.graphEntries) {
      if (e.kind !== 'initializer' || graphInputs.has(e.tensor.name)) continue;
      const value = await readTensor(e.tensor, reader, resolve);
      if (!value) continue;
      view.constants.set(e.tensor.name, value);
      view.initializerConstants.add(e.tensor.name);
    }
    for (const node of view.nodes) {
      const output = node.outputs[0];
      if (node.opType !== 'Constant' || node.domain !== '' || !output) continue;
      const value = await constantNodeValue(view.attrs(node));
      if (value) view.constants.set(output, value);
    }
    return view;
  }

  /** The node's attributes (decoded once). */
  attrs(node: NodeInfo): Map<string, AttributeValue> {
    let a = this.attributes.get(node);
    if (!a) {
      a = nodeAttributes(node);
      this.attributes.set(node, a);
    }
    return a;
  }

  /** The node producing `name`, when it is a default-domain `opType`. */
  producedBy(name: string | undefined, opType: string): NodeInfo | null {
    const node = name ? this.producer.get(name) : undefined;
    return node && node.opType === opType && node.domain === '' ? node : null;
  }

  /** A constant's values, or null when `name` is not a small constant. */
  constant(name: string | undefined): ConstantValue | null {
    return (name && this.constants.get(name)) || null;
  }

  /** The value of a one-element floating-point constant, or null. */
  floatScalar(name: string | undefined): number | null {
    const c = this.constant(name);
    const float = c && (c.dataType === DataType.FLOAT || c.dataType === DataType.FLOAT16 || c.dataType === DataType.DOUBLE);
    return float && c.values.length === 1 && c.dims.length <= 1 ? (c.values[0] ?? null) : null;
  }

  /** Whether the model has nodes with subgraphs (whose implicit inputs a rewrite would have to follow). */
  hasSubgraphs(): boolean {
    return this.nodes.some((n) => [...this.attrs(n).values()].some((a) => a.graph));
  }
}

async function constantNodeValue(attrs: Map<string, AttributeValue>): Promise<ConstantValue | null> {
  const t = attrs.get('value')?.t;
  if (t) {
    const header = tensorHeaderFromBytes(t);
    const blob: BlobLike = new Blob([t.slice() as Uint8Array<ArrayBuffer>]);
    return readTensor(header, new BlobReader(blob));
  }
  const f = attrs.get('value_float')?.f;
  if (f !== undefined) return { dataType: DataType.FLOAT, dims: [], values: [f] };
  const i = attrs.get('value_int')?.i;
  if (i !== undefined) return { dataType: DataType.INT64, dims: [], values: [i] };
  const ints = attrs.get('value_ints')?.ints;
  if (ints && ints.length <= MAX_CONSTANT_ELEMENTS) return { dataType: DataType.INT64, dims: [ints.length], values: ints };
  return null;
}
