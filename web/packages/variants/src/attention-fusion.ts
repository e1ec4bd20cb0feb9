/**
 * Fused attention for the WebGPU fp32 variant: plain multi-head attention,
 * as torch exports diffusers' attention (per head: MatMul, optional scale,
 * Softmax, MatMul, with Reshape/Transpose to and from heads), becomes one
 * `com.microsoft` `MultiHeadAttention` node, which onnxruntime's WebGPU EP
 * runs as one fused kernel instead of materialising the scores.
 *
 * The match is exact or nothing. Matched per Softmax:
 * ```
 * Q4 = Reshape(q, [b, s, H, D])   K4 = Reshape(k, [b, t, H, D])   V4 = Reshape(v, [b, t, H, D])
 * Qh = Transpose(Q4, [0,2,1,3])   Kt = Transpose(K4, [0,2,3,1])   Vh = Transpose(V4, [0,2,1,3])
 *      (Kt also as Transpose(Transpose(K4, [0,2,1,3]), [0,1,3,2]))
 * S  = MatMul(Qh [* a], Kt [* b]) [* c | / c]      a, b, c: scalar constants, or (a, b) the
 *      exporter's sqrt(1/sqrt(last dim of Qh)) from Shape/Slice/Cast/Sqrt/Div/Sqrt
 * O  = MatMul(Softmax(S, axis=-1), Vh);  OT = Transpose(O, [0,2,1,3]);  y = Reshape(OT, any)
 * ```
 * The reshape shapes are a constant vector or a Concat of one-element pieces
 * (constants, or Unsqueeze(axes [0]) of anything computed). H must be the
 * same positive constant for Q, K and V. D is a constant or computed at run
 * time (torch traces diffusers' `head_dim = inner_dim // heads` from the
 * tensor's shape: Unsqueeze(Cast(Div(Gather(Shape(x)), H)))); it must be the
 * same constant, or the Unsqueeze of the same tensor, for Q, K and V. S, the
 * softmax, O and OT must have no other consumer and not be graph outputs.
 * The replacement feeds MultiHeadAttention Q4, K4, V4 reshaped with the
 * constant [0, 0, -1] to [b, s, H*D] (the same bytes: exact whatever D and
 * the reshapes' batch and sequence entries, as the op splits them back into
 * H heads) and `y`'s Reshape reads its output (the same bytes as OT).
 * The op's `scale` attribute: omitted when the scale is its default
 * 1/sqrt(D) (the exporter's two sqrt(1/sqrt(D)), whatever D, or constants
 * equal to it for a constant D), else the constant's value; with a computed
 * D, a scale mixing the exporter's factors with constants is not
 * expressible and the block stays. Nodes left unused are dropped;
 * everything else is untouched.
 */

import { encodeVarint, ProtoWriter, WIRE } from '@hybridgen/core';
import type { GraphView } from './graph-view.js';
import { ATTR, ATTR_TYPE, DataType, NODE, TENSOR } from './onnx-schema.js';
import type { NodeInfo } from './scan.js';

/** The contrib-op domain MultiHeadAttention lives in. */
export const MS_DOMAIN = 'com.microsoft';

/** What the transform applies. */
export interface AttentionFusionPlan {
  /** Attention blocks replaced. */
  readonly fused: number;
  /** Nodes not written. */
  readonly dropped: ReadonlySet<NodeInfo>;
  /** New nodes written just before a node. */
  readonly insertBefore: ReadonlyMap<NodeInfo, readonly Uint8Array[]>;
  /** Input renames of a node (old name -> new name). */
  readonly rewire: ReadonlyMap<NodeInfo, ReadonlyMap<string, string>>;
  /** Outputs of the dropped nodes (their value_info goes too). */
  readonly removedTensors: ReadonlySet<string>;
  /** Small initializers only dropped nodes read (not written). */
  readonly removedInitializers: ReadonlySet<string>;
}

/** A plan that changes nothing. */
export const NO_FUSION: AttentionFusionPlan = {
  fused: 0,
  dropped: new Set(),
  insertBefore: new Map(),
  rewire: new Map(),
  removedTensors: new Set(),
  removedInitializers: new Set(),
};

/** One entry of a shape vector: a known integer, or the name of the tensor unsqueezed into it at run time. */
type ShapeEntry = number | { readonly of: string };

interface Heads {
  readonly heads: number;
  readonly headDim: ShapeEntry;
}

/** A scale: `constant` x sqrt(1/sqrt(D))^`roots` (`roots`: the exporter's factors of the head dim D). */
interface Scale {
  readonly constant: number;
  readonly roots: number;
}

const times = (a: Scale, b: Scale): Scale => ({ constant: a.constant * b.constant, roots: a.roots + b.roots });
const ONE: Scale = { constant: 1, roots: 0 };

interface Side {
  /** The 4-D split ([b, s, H, D]) fed to the fused op. */
  readonly split: string;
  readonly heads: Heads;
  /** The scale multiplied in on this side. */
  readonly scale: Scale;
  /** Nodes of the pattern on this side (dropped when unused). */
  readonly nodes: readonly NodeInfo[];
}

interface Match {
  readonly q: Side;
  readonly k: Side;
  readonly v: Side;
  /** The op's `scale` attribute; null: its default 1/sqrt(D). */
  readonly scale: number | null;
  readonly merge: NodeInfo;
  readonly output: string;
  /** Nodes that must all go for the rewrite to pay off. */
  readonly core: readonly NodeInfo[];
  readonly nodes: readonly NodeInfo[];
}

const same = (a: readonly number[] | undefined, b: readonly number[]) => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

function perm(view: GraphView, node: NodeInfo): readonly number[] | undefined {
  return view.attrs(node).get('perm')?.ints;
}

/**
 * The entries of a Reshape's shape input: a small int64 constant, or a
 * Concat (axis 0) of one-element constants and Unsqueeze(x, axes [0]) pieces.
 * The latter are one element too when the Concat is valid: its pieces share
 * the rank of the constants (1), so x is a scalar. Null otherwise.
 */
function shapeEntries(view: GraphView, name: string | undefined): ShapeEntry[] | null {
  const c = view.constant(name);
  if (c) return c.dataType === DataType.INT64 && c.dims.length === 1 ? [...c.values] : null;
  const concat = view.producedBy(name, 'Concat');
  if (!concat || view.attrs(concat).get('axis')?.i !== 0) return null;
  const entries: ShapeEntry[] = [];
  for (const piece of concat.inputs) {
    const pc = view.constant(piece);
    if (pc) {
      if (pc.dataType !== DataType.INT64 || pc.values.length !== 1 || pc.dims.length !== 1) return null;
      entries.push(pc.values[0] ?? 0);
      continue;
    }
    const unsqueeze = view.producedBy(piece, 'Unsqueeze');
    const axes = unsqueeze && (view.constant(unsqueeze.inputs[1])?.values ?? view.attrs(unsqueeze).get('axes')?.ints);
    const of = unsqueeze?.inputs[0];
    if (!unsqueeze || !same(axes ?? undefined, [0]) || !of) return null;
    entries.push({ of });
  }
  return entries.some((e) => typeof e === 'number') ? entries : null;
}

/** `name` = Reshape(x, [?, ?, H, D]) with H a positive constant, D one too or computed; its heads. */
function split(view: GraphView, name: string | undefined): { heads: Heads } | null {
  const reshape = view.producedBy(name, 'Reshape');
  if (!reshape || view.attrs(reshape).get('allowzero')?.i) return null;
  const entries = shapeEntries(view, reshape.inputs[1]);
  const [, , h, d] = entries ?? [];
  if (entries?.length !== 4 || typeof h !== 'number' || h <= 0 || d === undefined || (typeof d === 'number' && d <= 0)) return null;
  return { heads: { heads: h, headDim: d } };
}

/**
 * The exporter's dynamic scale, sqrt(1 / sqrt(last dim of x)) with x the
 * transposed query (or its split): Sqrt(Div(1, Sqrt(Cast(Slice(Shape(x), [-1], [>= 4])))))
 * with an optional Cast after the Div. Returns the nodes and x, or null.
 */
function dynamicScale(view: GraphView, name: string | undefined): { nodes: NodeInfo[]; of: string } | null {
  const outer = view.producedBy(name, 'Sqrt');
  let inner = outer?.inputs[0];
  const castAfter = view.producedBy(inner, 'Cast');
  if (castAfter) inner = castAfter.inputs[0];
  const div = view.producedBy(inner, 'Div');
  const sqrt = div && view.floatScalar(div.inputs[0]) === 1 ? view.producedBy(div.inputs[1], 'Sqrt') : null;
  const cast = sqrt && view.producedBy(sqrt.inputs[0], 'Cast');
  const slice = cast && view.producedBy(cast.inputs[0], 'Slice');
  const shape = slice && view.producedBy(slice.inputs[0], 'Shape');
  if (!outer || !div || !sqrt || !cast || !slice || !shape || view.attrs(shape).size) return null;
  const floats: number[] = [DataType.FLOAT, DataType.FLOAT16];
  for (const c of castAfter ? [cast, castAfter] : [cast]) if (!floats.includes(view.attrs(c).get('to')?.i ?? -1)) return null;
  const [starts, ends, axes, steps] = [1, 2, 3, 4].map((i) => (slice.inputs[i] ? view.constant(slice.inputs[i]) : undefined));
  const ok = same(starts?.values, [-1]) && ends?.values.length === 1 && (ends.values[0] ?? 0) >= 4;
  if (!ok || starts === null || ends === null || axes === null || steps === null) return null;
  if ((axes && !same(axes.values, [0])) || (steps && !same(steps.values, [1]))) return null;
  const nodes = [outer, div, sqrt, cast, slice, shape, ...(castAfter ? [castAfter] : [])];
  return { nodes, of: shape.inputs[0] ?? '' };
}

/**
 * `name` = x or Mul(x, scale) with the scale a scalar constant or the
 * exporter's dynamic scale of one of `dynamicOf` (tensors whose last dim is
 * the query's head dim); the scale and the pattern's nodes.
 */
function scaled(view: GraphView, name: string | undefined, x: string, dynamicOf: readonly string[]): { scale: Scale; nodes: NodeInfo[] } | null {
  if (name === x) return { scale: ONE, nodes: [] };
  const mul = view.producedBy(name, 'Mul');
  const s = mul?.inputs[0] === x ? mul.inputs[1] : mul?.inputs[1] === x ? mul.inputs[0] : undefined;
  if (!mul || s === undefined) return null;
  const constant = view.floatScalar(s);
  if (constant !== null) return { scale: { constant, roots: 0 }, nodes: [mul] };
  const dynamic = dynamicScale(view, s);
  return dynamic && dynamicOf.includes(dynamic.of) ? { scale: { constant: 1, roots: 1 }, nodes: [mul, ...dynamic.nodes] } : null;
}

/** The inputs `name` may be the scaled form of: its Mul's inputs, or itself. */
function unscaledCandidates(view: GraphView, name: string | undefined): string[] {
  const mul = view.producedBy(name, 'Mul');
  return (mul ? [...mul.inputs] : [name ?? '']).filter((n) => n !== '');
}

function transposedSplit(view: GraphView, name: string | undefined, order: readonly number[]): { split: string; heads: Heads; transpose: NodeInfo } | null {
  const t = view.producedBy(name, 'Transpose');
  const s = t && same(perm(view, t), order) ? split(view, t.inputs[0]) : null;
  return t && s ? { split: t.inputs[0] ?? '', heads: s.heads, transpose: t } : null;
}

function querySide(view: GraphView, name: string | undefined): (Side & { transposed: string }) | null {
  for (const x of unscaledCandidates(view, name)) {
    const found = transposedSplit(view, x, [0, 2, 1, 3]);
    const s = found && scaled(view, name, x, [found.split, x]);
    if (found && s) return { split: found.split, heads: found.heads, scale: s.scale, nodes: [...s.nodes, found.transpose], transposed: x };
  }
  return null;
}

function keySide(view: GraphView, name: string | undefined, query: Side & { transposed: string }): Side | null {
  const dynamicOf = [query.split, query.transposed];
  for (const x of unscaledCandidates(view, name)) {
    const s = scaled(view, name, x, dynamicOf);
    if (!s) continue;
    const direct = transposedSplit(view, x, [0, 2, 3, 1]);
    if (direct) return { split: direct.split, heads: direct.heads, scale: s.scale, nodes: [...s.nodes, direct.transpose] };
    const last = view.producedBy(x, 'Transpose');
    const two = last && same(perm(view, last), [0, 1, 3, 2]) ? transposedSplit(view, last.inputs[0], [0, 2, 1, 3]) : null;
    if (last && two) return { split: two.split, heads: two.heads, scale: s.scale, nodes: [...s.nodes, last, two.transpose] };
  }
  return null;
}

const sameEntry = (a: ShapeEntry, b: ShapeEntry) => (typeof a === 'number' || typeof b === 'number' ? a === b : a.of === b.of);
const sameHeads = (a: Heads, b: Heads) => a.heads === b.heads && sameEntry(a.headDim, b.headDim);

/**
 * The op's `scale` attribute for `s` (null: the op's default 1/sqrt(D)), or
 * undefined when not expressible (D computed and `s` mixes the exporter's
 * factors with constants: the op's attribute is one number).
 */
function scaleAttribute(s: Scale, headDim: ShapeEntry): number | null | undefined {
  if (typeof headDim === 'number') {
    const value = s.constant * Math.sqrt(1 / Math.sqrt(headDim)) ** s.roots;
    const standard = 1 / Math.sqrt(headDim);
    return Math.abs(value - standard) > 1e-6 * standard ? value : null;
  }
  if (s.roots === 0) return s.constant;
  return s.roots === 2 && s.constant === 1 ? null : undefined;
}

/** The single consumer of `name` (by input occurrences), or null. */
function onlyConsumer(view: GraphView, name: string | undefined, graphOutputs: ReadonlySet<string>): NodeInfo | null {
  if (!name || graphOutputs.has(name) || view.uses.get(name) !== 1) return null;
  return view.nodes.find((n) => n.inputs.includes(name)) ?? null;
}

/** Matches the attention block whose Softmax is `softmax`. */
export function matchAttention(view: GraphView, softmax: NodeInfo, graphOutputs: ReadonlySet<string>, opset: number): Match | null {
  const axis = view.attrs(softmax).get('axis')?.i ?? (opset >= 13 ? -1 : 1);
  if (softmax.domain !== '' || (axis !== -1 && axis !== 3)) return null;
  let scoresName = softmax.inputs[0];
  let post = ONE;
  const postNodes: NodeInfo[] = [];
  const mulOrDiv = view.producedBy(scoresName, 'Mul') ?? view.producedBy(scoresName, 'Div');
  if (mulOrDiv && onlyConsumer(view, scoresName, graphOutputs)) {
    const [a, b] = mulOrDiv.inputs;
    const cb = view.floatScalar(b);
    const ca = mulOrDiv.opType === 'Mul' ? view.floatScalar(a) : null;
    if (cb !== null && cb !== 0) [post, scoresName] = [{ constant: mulOrDiv.opType === 'Mul' ? cb : 1 / cb, roots: 0 }, a];
    else if (ca !== null) [post, scoresName] = [{ constant: ca, roots: 0 }, b];
    else return null;
    postNodes.push(mulOrDiv);
  }
  const qk = view.producedBy(scoresName, 'MatMul');
  if (!qk || !onlyConsumer(view, scoresName, graphOutputs) || !onlyConsumer(view, softmax.outputs[0], graphOutputs)) return null;
  const q = querySide(view, qk.inputs[0]);
  const k = q && keySide(view, qk.inputs[1], q);
  const pv = onlyConsumer(view, softmax.outputs[0], graphOutputs);
  if (!q || !k || !pv || pv.opType !== 'MatMul' || pv.domain !== '' || pv.inputs[0] !== softmax.outputs[0]) return null;
  const vt = transposedSplit(view, pv.inputs[1], [0, 2, 1, 3]);
  const ot = onlyConsumer(view, pv.outputs[0], graphOutputs);
  if (!vt || !ot || ot.opType !== 'Transpose' || ot.domain !== '' || !same(perm(view, ot), [0, 2, 1, 3])) return null;
  const merge = onlyConsumer(view, ot.outputs[0], graphOutputs);
  if (merge?.opType !== 'Reshape' || merge.domain !== '' || merge.inputs[0] !== ot.outputs[0]) return null;
  if (!sameHeads(q.heads, k.heads) || !sameHeads(q.heads, vt.heads)) return null;
  const scale = scaleAttribute(times(times(q.scale, k.scale), post), q.heads.headDim);
  if (scale === undefined) return null;
  const v: Side = { split: vt.split, heads: vt.heads, scale: ONE, nodes: [vt.transpose] };
  const core = [qk, softmax, pv, ot, ...postNodes];
  return { q, k, v, scale, merge, output: ot.outputs[0] ?? '', core, nodes: [...core, ...q.nodes, ...k.nodes, ...v.nodes] };
}

// ---- encoding the new nodes ----

function attribute(name: string, write: (w: ProtoWriter) => void, type: number): Uint8Array {
  const w = new ProtoWriter().string(ATTR.name, name);
  write(w);
  return w.varint(ATTR.type, type).finish();
}

function floatAttribute(name: string, value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, value, true);
  return attribute(name, (w) => w.raw(encodeVarint(ATTR.f * 8 + WIRE.I32)).raw(bytes), ATTR_TYPE.FLOAT);
}

function node(op: string, inputs: readonly string[], output: string, attributes: readonly Uint8Array[] = [], domain = ''): Uint8Array {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(NODE.input, i);
  w.string(NODE.output, output).string(NODE.name, output).string(NODE.opType, op);
  for (const a of attributes) w.bytes(NODE.attribute, a);
  if (domain) w.string(NODE.domain, domain);
  return w.finish();
}

function int64Tensor(values: readonly number[]): Uint8Array {
  const raw = new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer);
  return new ProtoWriter().varint(TENSOR.dims, values.length).varint(TENSOR.dataType, DataType.INT64).bytes(TENSOR.rawData, raw).finish();
}

/** The nodes replacing a match: Q/K/V splits viewed as [b, s, H*D] (shape [0, 0, -1]), then MultiHeadAttention. */
function replacement(match: Match, prefix: string): { nodes: Uint8Array[]; output: string } {
  const shape = `${prefix}/shape`;
  const nodes = [node('Constant', [], shape, [attribute('value', (w) => w.bytes(ATTR.t, int64Tensor([0, 0, -1])), ATTR_TYPE.TENSOR)])];
  const inputs = (['q', 'k', 'v'] as const).map((side) => {
    const name = `${prefix}/${side}`;
    nodes.push(node('Reshape', [match[side].split, shape], name));
    return name;
  });
  const attrs = [attribute('num_heads', (w) => w.varint(ATTR.i, match.q.heads.heads), ATTR_TYPE.INT)];
  if (match.scale !== null) attrs.push(floatAttribute('scale', match.scale));
  const output = `${prefix}/out`;
  nodes.push(node('MultiHeadAttention', inputs, output, attrs, MS_DOMAIN));
  return { nodes, output };
}

/**
 * Plans the fusion of every attention block of the graph (top level only;
 * a graph with subgraphs is left alone). Blocks are matched one after the
 * other against the graph as the earlier ones left it.
 */
export function planAttentionFusion(view: GraphView, graphOutputs: ReadonlySet<string>, opset: number): AttentionFusionPlan {
  if (view.hasSubgraphs()) return NO_FUSION;
  const names = new Set<string>(view.nodes.flatMap((n) => [...n.inputs, ...n.outputs]));
  let base = 'hg_mha';
  while ([...names].some((n) => n.startsWith(base))) base += '_';
  const dropped = new Set<NodeInfo>();
  const insertBefore = new Map<NodeInfo, Uint8Array[]>();
  const rewire = new Map<NodeInfo, Map<string, string>>();
  const removedTensors = new Set<string>();
  let fused = 0;
  for (const softmax of view.nodes) {
    if (softmax.opType !== 'Softmax' || dropped.has(softmax)) continue;
    const match = matchAttention(view, softmax, graphOutputs, opset);
    if (!match || match.nodes.some((n) => dropped.has(n))) continue;
    const gone = unusedAfter(view, match, graphOutputs);
    if (!match.core.every((n) => gone.has(n))) continue;
    const release = (name: string) => view.uses.set(name, (view.uses.get(name) ?? 0) - 1);
    release(match.output);
    for (const n of gone) for (const i of n.inputs) release(i);
    const { nodes, output } = replacement(match, `${base}${fused}`);
    for (const n of gone) {
      dropped.add(n);
      for (const o of n.outputs) removedTensors.add(o);
    }
    insertBefore.set(match.merge, nodes);
    rewire.set(match.merge, new Map([[match.output, output]]));
    // The splits gain a reader each (the new Reshapes).
    for (const side of [match.q, match.k, match.v]) view.uses.set(side.split, (view.uses.get(side.split) ?? 0) + 1);
    fused++;
  }
  const removedInitializers = new Set<string>();
  for (const n of dropped) for (const i of n.inputs) if (view.initializerConstants.has(i) && (view.uses.get(i) ?? 0) <= 0) removedInitializers.add(i);
  return fused ? { fused, dropped, insertBefore, rewire, removedTensors, removedInitializers } : NO_FUSION;
}

/** The pattern's nodes (and Constant nodes only they read) left without readers once the merge reads the fused output. */
function unusedAfter(view: GraphView, match: Match, graphOutputs: ReadonlySet<string>): Set<NodeInfo> {
  const uses = new Map(view.uses);
  const release = (name: string) => uses.set(name, (uses.get(name) ?? 0) - 1);
  release(match.output);
  const candidates = new Set<NodeInfo>(match.nodes);
  for (const n of match.nodes) for (const i of n.inputs) if (view.producedBy(i, 'Constant')) candidates.add(view.producer.get(i) as NodeInfo);
  const gone = new Set<NodeInfo>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const n of candidates) {
      if (gone.has(n) || n.outputs.some((o) => graphOutputs.has(o) || (uses.get(o) ?? 0) > 0)) continue;
      gone.add(n);
      for (const i of n.inputs) release(i);
      changed = true;
    }
  }
  return gone;
}
