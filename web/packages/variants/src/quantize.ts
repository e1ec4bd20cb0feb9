/**
 * Weight-only int8 quantization: which weights to quantize (the weight
 * input of MatMul, Conv and Gemm, large enough to matter) and the
 * symmetric per-output-channel arithmetic. The graph keeps the original op;
 * a `DequantizeLinear` (opset 13, per-axis) in front of it turns the int8
 * weight and its float32 scales back into the float32 tensor of the
 * original name when the op runs.
 */

import { fieldString, fields, ProtoWriter, WIRE } from '@hybridgen/core';
import { ATTR, ATTR_TYPE, NODE } from './onnx-schema.js';
import type { ModelLayout, NodeInfo, TensorHeader } from './scan.js';

/** Ops whose weight input (index 1) is quantized. */
export type QuantizableOp = 'MatMul' | 'Conv' | 'Gemm';

/** Options of weight-only int8 quantization. */
export interface QuantizeOptions {
  /** Only weights with at least this many elements (default 4096: smaller ones save nothing). */
  readonly minElements?: number;
  /** Ops whose weights are quantized (default all of {@link QuantizableOp}). */
  readonly ops?: readonly QuantizableOp[];
  /**
   * Scale axis of MatMul weights B [K, N]: `0` one scale per input row (default: ORT's
   * DequantizeLinear is fast when each scale covers a contiguous run), `1` one per output
   * column (the textbook choice; ORT dequantizes it element by element, measured 20-100x slower on WASM).
   */
  readonly matmulAxis?: 0 | 1;
}

/** One weight to quantize: per-channel along `axis`. */
export interface QuantizeTarget {
  readonly tensor: TensorHeader;
  readonly axis: number;
  readonly channels: number;
  /** Elements between consecutive channel indices (product of the dims after `axis`). */
  readonly inner: number;
  /** Names of the new int8 weight and float32 scale initializers. */
  readonly quantizedName: string;
  readonly scaleName: string;
}

const FLOAT_TYPES = new Set([1, 10]);

function intAttribute(node: NodeInfo, name: string): number | undefined {
  for (const f of fields(node.bytes)) {
    if (f.field !== NODE.attribute || f.wire !== WIRE.LEN) continue;
    let attrName = '';
    let value: number | undefined;
    for (const g of fields(node.bytes, f.start, f.end)) {
      if (g.field === ATTR.name && g.wire === WIRE.LEN) attrName = fieldString(node.bytes, g);
      if (g.field === ATTR.i && g.wire === WIRE.VARINT) value = g.value;
    }
    if (attrName === name) return value;
  }
  return undefined;
}

function weightAxis(node: NodeInfo, tensor: TensorHeader, matmulAxis: 0 | 1): number | null {
  const rank = tensor.dims.length;
  if (node.opType === 'MatMul') return rank === 2 ? matmulAxis : null;
  if (node.opType === 'Conv') return rank >= 3 ? 0 : null;
  if (node.opType === 'Gemm') return rank === 2 ? ((intAttribute(node, 'transB') ?? 0) === 1 ? 0 : 1) : null;
  return null;
}

/** Picks the weights to quantize. A weight used by several quantizable nodes must agree on the axis, or it stays float. */
export function planQuantization(layout: ModelLayout, options: QuantizeOptions = {}): Map<string, QuantizeTarget> {
  const minElements = options.minElements ?? 4096;
  const ops = new Set<string>(options.ops ?? ['MatMul', 'Conv', 'Gemm']);
  const tensors = new Map<string, TensorHeader>();
  const names = new Set<string>();
  for (const e of layout.graphEntries) {
    if (e.kind === 'initializer') {
      tensors.set(e.tensor.name, e.tensor);
      names.add(e.tensor.name);
    } else if (e.kind === 'node') for (const o of e.node.outputs) names.add(o);
  }
  const axes = new Map<string, number | null>();
  for (const e of layout.graphEntries) {
    if (e.kind !== 'node' || e.node.domain !== '' || !ops.has(e.node.opType)) continue;
    const weight = e.node.inputs[1];
    const tensor = weight === undefined ? undefined : tensors.get(weight);
    if (!weight || !tensor || !FLOAT_TYPES.has(tensor.dataType) || tensor.elementCount < minElements) continue;
    const axis = weightAxis(e.node, tensor, options.matmulAxis ?? 0);
    const seen = axes.get(weight);
    axes.set(weight, seen === undefined || seen === axis ? axis : null);
  }
  const plan = new Map<string, QuantizeTarget>();
  for (const [name, axis] of axes) {
    const tensor = tensors.get(name);
    if (axis === null || !tensor) continue;
    let quantizedName = `${name}_quantized`;
    let scaleName = `${name}_scale`;
    for (let i = 1; names.has(quantizedName) || names.has(scaleName); i++) {
      quantizedName = `${name}_quantized${i}`;
      scaleName = `${name}_scale${i}`;
    }
    const inner = tensor.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    plan.set(name, { tensor, axis, channels: tensor.dims[axis] ?? 1, inner, quantizedName, scaleName });
  }
  return plan;
}

/**
 * Calls `visit(channel, from, to)` for each run of consecutive elements of a
 * chunk (element offset `first`, `count` elements) that share a channel.
 */
function forEachChannelRun(target: QuantizeTarget, first: number, count: number, visit: (channel: number, from: number, to: number) => void): void {
  const { inner, channels } = target;
  let i = 0;
  while (i < count) {
    const index = first + i;
    const channel = Math.floor(index / inner) % channels;
    const to = Math.min(count, i + inner - (index % inner));
    visit(channel, i, to);
    i = to;
  }
}

/** Accumulates per-channel absolute maxima over chunks of a weight (element offset `first`). */
export function accumulateAbsMax(target: QuantizeTarget, values: Float32Array, first: number, absMax: Float32Array): void {
  if (target.inner === 1) {
    // Channels are the fastest-varying index (MatMul B [K, N]).
    const { channels } = target;
    let c = first % channels;
    for (let i = 0; i < values.length; i++) {
      const v = Math.abs(values[i] as number);
      if (v > (absMax[c] as number)) absMax[c] = v;
      if (++c === channels) c = 0;
    }
    return;
  }
  forEachChannelRun(target, first, values.length, (channel, from, to) => {
    let m = absMax[channel] as number;
    for (let i = from; i < to; i++) {
      const v = Math.abs(values[i] as number);
      if (v > m) m = v;
    }
    absMax[channel] = m;
  });
}

/** Scales from absolute maxima: symmetric int8, absMax maps to 127 (1 for an all-zero channel). */
export function scalesFromAbsMax(absMax: Float32Array): Float32Array {
  return absMax.map((m) => (m > 0 && Number.isFinite(m) ? m / 127 : 1));
}

function toInt8(x: number): number {
  const q = Math.round(x);
  return q > 127 ? 127 : Math.max(-127, q);
}

/** Quantizes a chunk of a weight (element offset `first`) to int8 with the channel scales. */
export function quantizeChunk(target: QuantizeTarget, values: Float32Array, first: number, scales: Float32Array, out: Int8Array): Int8Array {
  const dst = out.subarray(0, values.length);
  const inverse = scales.map((s) => 1 / s);
  if (target.inner === 1) {
    const { channels } = target;
    let c = first % channels;
    for (let i = 0; i < values.length; i++) {
      dst[i] = toInt8((values[i] as number) * (inverse[c] as number));
      if (++c === channels) c = 0;
    }
    return dst;
  }
  forEachChannelRun(target, first, values.length, (channel, from, to) => {
    const k = inverse[channel] as number;
    for (let i = from; i < to; i++) dst[i] = toInt8((values[i] as number) * k);
  });
  return dst;
}

/** The `DequantizeLinear` node that rebuilds the float weight named `target.tensor.name`. */
export function dequantizeNode(target: QuantizeTarget): Uint8Array {
  const axis = new ProtoWriter().string(ATTR.name, 'axis').varint(ATTR.i, target.axis).varint(ATTR.type, ATTR_TYPE.INT);
  return new ProtoWriter()
    .string(NODE.input, target.quantizedName)
    .string(NODE.input, target.scaleName)
    .string(NODE.output, target.tensor.name)
    .string(NODE.name, `${target.tensor.name}_DequantizeLinear`)
    .string(NODE.opType, 'DequantizeLinear')
    .message(NODE.attribute, axis)
    .finish();
}
