/**
 * A minimal walk over an ONNX `ModelProto` to learn, without parsing the
 * whole protobuf, whether the graph holds float16 data (initializers, graph
 * inputs or outputs), and the graph's inputs with their declared dimensions.
 * The engine uses it to refuse putting an fp16 graph on a WebGPU device
 * without `shader-f16`, and to pin the inputs' symbolic dimensions. It
 * reads through the one protobuf reader (`wire.ts`) the variant transforms
 * use too.
 */

import { type Field, fieldString, fields } from './wire.js';

const FLOAT16 = 10;

function sub(bytes: Uint8Array, f: Field, field: number): Field | undefined {
  for (const g of fields(bytes, f.start, f.end)) if (g.field === field && g.wire === 2) return g;
  return undefined;
}

function valueInfoIsHalf(bytes: Uint8Array, info: Field): boolean {
  const type = sub(bytes, info, 2); // ValueInfoProto.type
  const tensor = type && sub(bytes, type, 1); // TypeProto.tensor_type
  if (!tensor) return false;
  for (const g of fields(bytes, tensor.start, tensor.end)) if (g.field === 1 && g.wire === 0) return g.value === FLOAT16;
  return false;
}

/** True when the model's graph has a float16 initializer, input or output. Throws `MalformedModelError` on bytes that are not a protobuf. */
export function onnxGraphUsesFloat16(model: Uint8Array): boolean {
  for (const top of fields(model, 0, model.length)) {
    if (top.field !== 7 || top.wire !== 2) continue; // ModelProto.graph
    for (const g of fields(model, top.start, top.end)) {
      if (g.wire !== 2) continue;
      if (g.field === 5) {
        // GraphProto.initializer: TensorProto.data_type = 2
        for (const t of fields(model, g.start, g.end)) if (t.field === 2 && t.wire === 0 && t.value === FLOAT16) return true;
      } else if ((g.field === 11 || g.field === 12) && valueInfoIsHalf(model, g)) {
        return true;
      }
    }
  }
  return false;
}

/** A graph input as the model declares it: each dimension a size, a symbolic name, or null (neither). */
export interface DeclaredInput {
  readonly name: string;
  readonly dims: readonly (number | string | null)[];
}

function declaredDims(bytes: Uint8Array, info: Field): (number | string | null)[] {
  const type = sub(bytes, info, 2); // ValueInfoProto.type
  const tensor = type && sub(bytes, type, 1); // TypeProto.tensor_type
  const shape = tensor && sub(bytes, tensor, 2); // TypeProto.Tensor.shape
  if (!shape) return [];
  const dims: (number | string | null)[] = [];
  for (const d of fields(bytes, shape.start, shape.end)) {
    if (d.field !== 1 || d.wire !== 2) continue; // TensorShapeProto.dim
    let dim: number | string | null = null;
    for (const g of fields(bytes, d.start, d.end)) {
      if (g.field === 1 && g.wire === 0)
        dim = g.value; // dim_value
      else if (g.field === 2 && g.wire === 2) dim = fieldString(bytes, g); // dim_param
    }
    dims.push(dim);
  }
  return dims;
}

/**
 * The graph's inputs (not those that are initializers, as old exports list
 * them) with their declared dimensions, in order. Throws `MalformedModelError` on
 * bytes that are not a protobuf.
 */
export function onnxGraphInputs(model: Uint8Array): DeclaredInput[] {
  const inputs: DeclaredInput[] = [];
  const initializers = new Set<string>();
  for (const top of fields(model, 0, model.length)) {
    if (top.field !== 7 || top.wire !== 2) continue; // ModelProto.graph
    for (const g of fields(model, top.start, top.end)) {
      if (g.wire !== 2) continue;
      if (g.field === 11) {
        const name = sub(model, g, 1); // ValueInfoProto.name
        inputs.push({ name: name ? fieldString(model, name) : '', dims: declaredDims(model, g) });
      } else if (g.field === 5) {
        const name = sub(model, g, 8); // TensorProto.name
        if (name) initializers.add(fieldString(model, name));
      }
    }
  }
  return inputs.filter((i) => !initializers.has(i.name));
}
