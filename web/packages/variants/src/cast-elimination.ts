/**
 * Removes the Cast nodes the fp16 -> fp32 rewrite turns into identities: a
 * Cast to float16, float32 or float64 whose input is already a float of any
 * of these widths (a graph input, an initializer, another such Cast) casts
 * float32 to float32 once everything is float32. Consumers are rewired to the Cast's
 * input. Casts that produce a graph output stay (the output name must
 * exist), and nothing is removed in graphs with subgraphs (their implicit
 * inputs would need renaming too).
 */

import { fieldString, fields, ProtoWriter, WIRE } from '@hybridgen/core';
import { ATTR, DataType, GRAPH, NODE, TYPE, VALUE_INFO } from './onnx-schema.js';
import type { ModelLayout, NodeInfo } from './scan.js';

const FLOATS = new Set<number>([DataType.FLOAT, DataType.FLOAT16, DataType.DOUBLE]);

/** The plan: Cast outputs to drop, each mapped to the tensor its consumers read instead. */
export type CastRenames = ReadonlyMap<string, string>;

function castTarget(node: NodeInfo): number | null {
  for (const f of fields(node.bytes)) {
    if (f.field !== NODE.attribute || f.wire !== WIRE.LEN) continue;
    let name = '';
    let value: number | null = null;
    for (const g of fields(node.bytes, f.start, f.end)) {
      if (g.field === ATTR.name && g.wire === WIRE.LEN) name = fieldString(node.bytes, g);
      if (g.field === ATTR.i && g.wire === WIRE.VARINT) value = g.value;
    }
    if (name === 'to') return value;
  }
  return null;
}

function hasSubgraph(node: NodeInfo): boolean {
  for (const f of fields(node.bytes)) {
    if (f.field !== NODE.attribute || f.wire !== WIRE.LEN) continue;
    for (const g of fields(node.bytes, f.start, f.end)) if ((g.field === ATTR.g || g.field === ATTR.graphs) && g.wire === WIRE.LEN) return true;
  }
  return false;
}

/** Name and element type of a ValueInfoProto (elem type 0 when not a tensor). */
export function valueInfoNameAndType(bytes: Uint8Array): { name: string; elemType: number } {
  let name = '';
  let elemType = 0;
  for (const f of fields(bytes)) {
    if (f.field === VALUE_INFO.name && f.wire === WIRE.LEN) name = fieldString(bytes, f);
    if (f.field === VALUE_INFO.type && f.wire === WIRE.LEN) {
      for (const t of fields(bytes, f.start, f.end)) {
        if (t.field !== TYPE.tensorType || t.wire !== WIRE.LEN) continue;
        for (const e of fields(bytes, t.start, t.end)) if (e.field === TYPE.elemType && e.wire === WIRE.VARINT) elemType = e.value;
      }
    }
  }
  return { name, elemType };
}

/**
 * Plans the removal. `graphInputs` and `graphOutputs` are the decoded graph
 * inputs and outputs (names and element types).
 */
export function planCastElimination(
  layout: ModelLayout,
  graphInputs: readonly { name: string; elemType: number }[],
  graphOutputs: ReadonlySet<string>,
): Map<string, string> {
  const renames = new Map<string, string>();
  const nodes = layout.graphEntries.flatMap((e) => (e.kind === 'node' ? [e.node] : []));
  if (nodes.some(hasSubgraph)) return renames;
  const floats = new Set<string>();
  for (const i of graphInputs) if (FLOATS.has(i.elemType)) floats.add(i.name);
  for (const e of layout.graphEntries) if (e.kind === 'initializer' && FLOATS.has(e.tensor.dataType)) floats.add(e.tensor.name);
  const resolve = (name: string): string => renames.get(name) ?? name;
  for (const node of nodes) {
    if (node.opType !== 'Cast' || node.domain !== '') continue;
    const target = castTarget(node);
    const input = node.inputs[0];
    const output = node.outputs[0];
    if (target === null || !FLOATS.has(target) || input === undefined || output === undefined) continue;
    if (floats.has(input) && !graphOutputs.has(output)) renames.set(output, resolve(input));
    floats.add(output); // a float of either width, whether the Cast stays or not
  }
  return renames;
}

/** A node with its inputs renamed; the same bytes when none changes. */
export function renameNodeInputs(bytes: Uint8Array, renames: CastRenames): Uint8Array {
  let changed = false;
  const out = new ProtoWriter();
  for (const f of fields(bytes)) {
    if (f.field === NODE.input && f.wire === WIRE.LEN) {
      const name = fieldString(bytes, f);
      const next = renames.get(name);
      if (next !== undefined) {
        out.string(NODE.input, next);
        changed = true;
        continue;
      }
    }
    out.raw(bytes.subarray(f.headerStart, f.end));
  }
  return changed ? out.finish() : bytes;
}

/** Graph fields the transform drops along with removed Casts: value_info of their outputs. */
export function isValueInfoOfRemoved(field: number, payload: Uint8Array, renames: CastRenames): boolean {
  return field === GRAPH.valueInfo && renames.has(valueInfoNameAndType(payload).name);
}
