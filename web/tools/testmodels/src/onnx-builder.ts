import { float32ToHalf } from '@hybridgen/core/half';
import onnxProto from 'onnx-proto';
import type { Precision, TensorSpec } from './contract.js';
import type { Rng } from './prng.js';

const { onnx } = onnxProto;

/**
 * ONNX opset the test models use (ai.onnx domain): 14, optimum's default for
 * the Stable Diffusion exports the published files come from. As in those
 * files, `LayerNormalization` appears below its opset-17 ai.onnx version (ORT's
 * optimizer fuses it; onnxruntime registers the op in the ONNX domain from version 1).
 */
export const OPSET = 14;
/** ONNX IR version written into the models (what torch's exporter writes at opset 14). */
export const IR_VERSION = 8;

/** Element types the test graphs use. */
export type ElemType = 'float32' | 'float16' | 'int32' | 'int64';

/** A tensor dimension: a fixed size or a symbolic name such as `"batch"`. */
export type Dim = number | string;

const DATA_TYPE: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** An attribute value: numbers are INT when integral unless given as `{ f }`. */
export type AttrValue = number | { readonly f: number } | readonly number[] | { readonly floats: readonly number[] } | string;

/**
 * Builds one ONNX graph. Weights go in the graph's compute precision
 * (`fp16` stores float16 initializers); graph inputs/outputs are declared by
 * the caller. Node and tensor names are deterministic, so the same calls give
 * byte-identical model files.
 */
export class GraphBuilder {
  /** Element type of activations and weights inside the graph. */
  readonly computeType: ElemType;
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly counters = new Map<string, number>();
  private readonly constCache = new Map<string, string>();
  private parameterCount = 0;
  private largestTensor = 0;

  constructor(
    readonly name: string,
    readonly precision: Precision,
    readonly rng: Rng,
    /** The ai.onnx opset the graph imports (default {@link OPSET}). */
    readonly opset: number = OPSET,
  ) {
    this.computeType = precision === 'fp16' ? 'float16' : 'float32';
  }

  /** Number of weights drawn so far (trainable-parameter count of the graph). */
  get parameters(): number {
    return this.parameterCount;
  }

  /** Bytes of the largest initializer (weight or constant). */
  get largestInitializerBytes(): number {
    return this.largestTensor;
  }

  /** Declares a graph input. */
  input(name: string, type: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  /** Declares the inputs and outputs of a contract entry; returns the input names. */
  declare(io: { readonly inputs: readonly TensorSpec[]; readonly outputs: readonly TensorSpec[] }): string[] {
    for (const o of io.outputs) this.output(o.name, o.type, o.shape);
    return io.inputs.map((i) => this.input(i.name, i.type, i.shape));
  }

  /** Declares a graph output (some node must produce `name`). */
  output(name: string, type: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A random weight N(mean, std^2), stored in the compute precision. */
  weight(name: string, dims: readonly number[], std: number, mean = 0): string {
    const count = dims.reduce((a, b) => a * b, 1);
    this.parameterCount += count;
    return this.tensor(name, this.computeType, dims, this.rng.normals(count, std, mean));
  }

  /** A constant float tensor in the compute precision (e.g. a scale). Cached by value. */
  constant(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.cachedConst(this.computeType, values, dims);
  }

  /** A constant float32 tensor, whatever the precision (e.g. Resize scales). */
  constantF32(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.cachedConst('float32', values, dims);
  }

  /** A constant int64 tensor (shapes, axes). */
  constantI64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.cachedConst('int64', values, dims);
  }

  /** Adds a node with one output and returns the output's name. */
  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, AttrValue>> = {}, outputName?: string): string {
    const index = this.counters.get(opType) ?? 0;
    this.counters.set(opType, index + 1);
    const nodeName = `${opType}_${index}`;
    const out = outputName ?? `${nodeName}_out`;
    this.nodes.push({
      name: nodeName,
      opType,
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
    });
    return out;
  }

  /** Casts to the compute precision (no node in fp32 graphs). */
  toCompute(x: string): string {
    return this.precision === 'fp16' ? this.op('Cast', [x], { to: DATA_TYPE.float16 }) : x;
  }

  /**
   * A float graph input in the compute precision, wrapped as `onnx-wrap-fp16.py`
   * wraps the published files: in fp16 graphs an unnamed Cast `name` ->
   * `name_fp16` inserted at the start of the node list; nothing in fp32 graphs.
   */
  inputToCompute(name: string): string {
    if (this.precision === 'fp32') return name;
    const wrapped = `${name}_fp16`;
    this.nodes.unshift({ opType: 'Cast', input: [name], output: [wrapped], attribute: [attribute('to', DATA_TYPE.float16)] });
    return wrapped;
  }

  /**
   * Makes `x` the graph output `name` (float32). fp32 graphs: the producer of `x`
   * writes `name` directly (as torch's exporter names outputs). fp16 graphs, as
   * `onnx-wrap-fp16.py` does: the producer and every consumer of `x` use
   * `name_fp16`, and an unnamed Cast `name_fp16` -> `name` (float32) is appended.
   */
  graphOutput(x: string, name: string): void {
    this.renameTensor(x, this.precision === 'fp16' ? `${name}_fp16` : name);
    if (this.precision === 'fp16')
      this.nodes.push({ opType: 'Cast', input: [`${name}_fp16`], output: [name], attribute: [attribute('to', DATA_TYPE.float32)] });
  }

  private renameTensor(from: string, to: string): void {
    for (const node of this.nodes) {
      node.input = (node.input ?? []).map((n) => (n === from ? to : n));
      node.output = (node.output ?? []).map((n) => (n === from ? to : n));
    }
  }

  /** Serializes the model (ModelProto) to bytes. */
  toBytes(docString: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'hybridgen-testmodels',
      producerVersion: '1',
      domain: 'dev.hybridgen.test',
      modelVersion: 1,
      docString,
      opsetImport: [{ domain: '', version: this.opset }],
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private cachedConst(type: ElemType, values: readonly number[], dims: readonly number[]): string {
    const key = `${type}|${dims.join(',')}|${values.join(',')}`;
    const cached = this.constCache.get(key);
    if (cached) return cached;
    const name = `const_${this.constCache.size}`;
    this.constCache.set(key, name);
    return this.tensor(name, type, dims, values);
  }

  private tensor(name: string, type: ElemType, dims: readonly number[], values: ArrayLike<number>): string {
    const rawData = rawBytes(type, values);
    this.largestTensor = Math.max(this.largestTensor, rawData.byteLength);
    this.initializers.push({ name, dims: [...dims], dataType: DATA_TYPE[type], rawData });
    return name;
  }
}

function rawBytes(type: ElemType, values: ArrayLike<number>): Uint8Array {
  switch (type) {
    case 'float32':
      return new Uint8Array(Float32Array.from(values).buffer);
    case 'float16':
      return new Uint8Array(float32ToHalf(Float32Array.from(values)).buffer);
    case 'int32':
      return new Uint8Array(Int32Array.from(values).buffer);
    case 'int64':
      return new Uint8Array(BigInt64Array.from(Array.from(values, (v) => BigInt(v))).buffer);
  }
}

function valueInfo(name: string, type: ElemType, dims: readonly Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') return { name, type: T.INT, i: value };
  if ('f' in value) return { name, type: T.FLOAT, f: value.f };
  if ('floats' in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  return { name, type: T.INTS, ints: [...(value as readonly number[])] };
}

/** ONNX TensorProto data type numbers, for Cast's `to` attribute. */
export const ONNX_DATA_TYPE: Readonly<Record<ElemType, number>> = DATA_TYPE;
