/**
 * The streaming model transform behind both variants: fp16 -> fp32
 * widening ({@link convertToFloat32}) and weight-only int8 quantization
 * ({@link quantizeWeightsInt8}, which also widens). The model is read from a
 * Blob through {@link BlobReader} (headers and small fields only), large
 * initializers are streamed chunk by chunk into ONNX external data files,
 * and the new model protobuf (nodes, types, small tensors) is built in
 * memory. Peak memory: a few chunks plus the small part of the graph.
 */

import { type BlobLike, BlobReader, type Field, ProtoWriter, throwIfAborted, WIRE } from '@hybridgen/core';
import { type AttentionFusionPlan, MS_DOMAIN, NO_FUSION, planAttentionFusion } from './attention-fusion.js';
import { isValueInfoOfRemoved, planCastElimination, renameNodeInputs, valueInfoNameAndType } from './cast-elimination.js';
import { UnsupportedModelError } from './errors.js';
import { widenFloat16Bytes } from './float16.js';
import { narrowFloat64Bytes, TO_FLOAT32 } from './float64.js';
import { GraphView } from './graph-view.js';
import { DataType, GRAPH, MODEL, OPSET } from './onnx-schema.js';
import { ExternalDataWriter, type OutputFolder, PARTIAL_SUFFIX } from './output.js';
import { accumulateAbsMax, dequantizeNode, planQuantization, type QuantizeOptions, type QuantizeTarget, quantizeChunk, scalesFromAbsMax } from './quantize.js';
import { emptyCounts, type RewriteCounts, rewriteFunctionBytes, rewriteGraphBytes, rewriteNode, rewriteValueInfo } from './rewrite.js';
import { type ExternalDataResolver, scanModel, type TensorHeader } from './scan.js';
import { asFloat32, encodeTensor, valueChunks } from './tensor-io.js';

/** Progress of a transform: bytes of weights processed. */
export interface TransformProgress {
  readonly doneBytes: number;
  readonly totalBytes: number;
}

/** Options shared by {@link convertToFloat32} and {@link quantizeWeightsInt8}. */
export interface TransformOptions {
  /** Name of the model file written into the folder (default `model.onnx`); data files are `<name>.data.<n>`. */
  readonly outputName?: string;
  /** Initializers of at least this many bytes (after the transform) go to external data (default 1024; `Infinity` keeps all inline). */
  readonly externalDataThresholdBytes?: number;
  /** Most bytes per external data file, under browser ArrayBuffer limits (default 1 GiB). */
  readonly maxExternalFileBytes?: number;
  /** Bytes read from the input per step (default 4 MiB; a multiple of 8). */
  readonly chunkBytes?: number;
  /** Files of the input's own external data, by location. */
  readonly resolveExternal?: ExternalDataResolver;
  /** Remove the Casts that become float32 -> float32 identities (default true). */
  readonly removeIdentityCasts?: boolean;
  /**
   * Replace plain multi-head attention (MatMul, Softmax, MatMul over heads) by
   * `com.microsoft` MultiHeadAttention (default false; see attention-fusion.ts).
   */
  readonly fuseAttention?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TransformProgress) => void;
}

/** What a transform wrote and changed. */
export interface TransformResult {
  /** Final names of the files written, model last. */
  readonly files: readonly { readonly name: string; readonly bytes: number }[];
  readonly modelName: string;
  readonly counts: RewriteCounts & { readonly quantizedWeights: number; readonly castsRemoved: number; readonly attentionFused: number };
  /** Bytes of initializer values written (inline and external). */
  readonly initializerBytes: number;
  /** The largest initializer written, in bytes (what one GPU buffer or wasm allocation must hold). */
  readonly largestInitializerBytes: number;
  /** Bytes read from the input (headers, small fields and streamed weights). */
  readonly bytesRead: number;
}

const NO_RENAMES: ReadonlyMap<string, string> = new Map();

interface Job {
  readonly reader: BlobReader;
  readonly options: TransformOptions;
  readonly chunkBytes: number;
  readonly threshold: number;
  readonly external: ExternalDataWriter;
  readonly counts: RewriteCounts & { quantizedWeights: number; castsRemoved: number; attentionFused: number };
  stats: { initializerBytes: number; largest: number; done: number; total: number };
}

function tick(job: Job, bytes: number): void {
  job.stats.done += bytes;
  job.options.onProgress?.({ doneBytes: job.stats.done, totalBytes: job.stats.total });
  throwIfAborted(job.options.signal);
}

function wrote(job: Job, bytes: number): void {
  job.stats.initializerBytes += bytes;
  job.stats.largest = Math.max(job.stats.largest, bytes);
}

/** Float32 values of a chunk of float16 or float64 bytes, into `buffer` when given. */
function toFloat32(chunk: Uint8Array, dataType: number, buffer?: Float32Array): Float32Array {
  return dataType === DataType.FLOAT16 ? widenFloat16Bytes(chunk, buffer) : narrowFloat64Bytes(chunk, buffer);
}

/** Bytes of a tensor once float16 / float64 values are float32 (`convert`), else as stored. */
function convertedBytes(tensor: TensorHeader, convert: boolean): number {
  return convert && TO_FLOAT32.has(tensor.dataType) ? tensor.elementCount * 4 : tensor.byteLength;
}

/** Streams an initializer's values to external data, float16 widened and float64 narrowed to float32. */
async function streamWidened(job: Job, tensor: TensorHeader, widen: boolean): Promise<Uint8Array> {
  const converts = widen && TO_FLOAT32.has(tensor.dataType);
  const outBytes = convertedBytes(tensor, widen);
  const where = await job.external.begin(outBytes);
  const buffer = converts ? new Float32Array(job.chunkBytes / 2) : undefined;
  for await (const chunk of valueChunks(tensor, job.reader, job.options.resolveExternal, job.chunkBytes)) {
    if (converts) {
      const wide = toFloat32(chunk, tensor.dataType, buffer);
      await job.external.write(new Uint8Array(wide.buffer, wide.byteOffset, wide.byteLength));
    } else await job.external.write(chunk);
    tick(job, chunk.byteLength);
  }
  wrote(job, outBytes);
  if (converts) job.counts.initializersWidened++;
  return encodeTensor({ dataType: converts ? DataType.FLOAT : tensor.dataType, keptFields: tensor.keptFields }, { external: { ...where, length: outBytes } });
}

/** Widens (or narrows) a small initializer in memory and encodes it inline. */
async function inlineWidened(job: Job, tensor: TensorHeader, field: { headerStart: number; start: number; end: number }, widen: boolean): Promise<Uint8Array> {
  const converts = widen && TO_FLOAT32.has(tensor.dataType);
  if (!converts && tensor.data.kind !== 'external') {
    wrote(job, tensor.byteLength);
    tick(job, tensor.byteLength);
    return job.reader.read(field.start, field.end); // unchanged: copied verbatim
  }
  const parts: Uint8Array[] = [];
  for await (const chunk of valueChunks(tensor, job.reader, job.options.resolveExternal, job.chunkBytes)) parts.push(chunk.slice());
  const raw = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    raw.set(p, o);
    o += p.byteLength;
  }
  tick(job, raw.byteLength);
  if (converts) {
    const wide = toFloat32(raw, tensor.dataType);
    job.counts.initializersWidened++;
    wrote(job, wide.byteLength);
    return encodeTensor({ dataType: DataType.FLOAT, keptFields: tensor.keptFields }, { raw: new Uint8Array(wide.buffer, wide.byteOffset, wide.byteLength) });
  }
  wrote(job, raw.byteLength);
  return encodeTensor({ dataType: tensor.dataType, keptFields: tensor.keptFields }, { raw });
}

/** Quantizes one weight: a pass for the channel maxima, a pass to write int8. Returns the two new initializers. */
async function quantizeWeight(job: Job, target: QuantizeTarget): Promise<Uint8Array[]> {
  const { tensor } = target;
  const absMax = new Float32Array(target.channels);
  const widenBuffer = new Float32Array(job.chunkBytes / 2);
  const widen = (b: Uint8Array) => widenFloat16Bytes(b, widenBuffer);
  const elementBytes = tensor.dataType === DataType.FLOAT16 ? 2 : 4;
  let first = 0;
  for await (const chunk of valueChunks(tensor, job.reader, job.options.resolveExternal, job.chunkBytes)) {
    const values = asFloat32(chunk, tensor.dataType, widen);
    accumulateAbsMax(target, values, first, absMax);
    first += values.length;
    throwIfAborted(job.options.signal);
  }
  const scales = scalesFromAbsMax(absMax);
  const count = tensor.elementCount;
  const external = count >= job.threshold;
  const int8 = new Int8Array(external ? job.chunkBytes / elementBytes : count);
  const where = external ? await job.external.begin(count) : null;
  first = 0;
  for await (const chunk of valueChunks(tensor, job.reader, job.options.resolveExternal, job.chunkBytes)) {
    const values = asFloat32(chunk, tensor.dataType, widen);
    const q = quantizeChunk(target, values, first, scales, external ? int8 : int8.subarray(first));
    if (external) await job.external.write(new Uint8Array(q.buffer, q.byteOffset, q.byteLength));
    first += values.length;
    tick(job, chunk.byteLength);
  }
  wrote(job, count + scales.byteLength);
  job.counts.quantizedWeights++;
  const weight = encodeTensor(
    { dataType: DataType.INT8, name: target.quantizedName, dims: tensor.dims },
    where ? { external: { ...where, length: count } } : { raw: new Uint8Array(int8.buffer) },
  );
  const scale = encodeTensor({ dataType: DataType.FLOAT, name: target.scaleName, dims: [target.channels] }, { raw: new Uint8Array(scales.buffer) });
  return [weight, scale];
}

function nameOfValueInfo(bytes: Uint8Array): string {
  // ValueInfoProto.name is field 1; read it without a full decode.
  if (bytes[0] !== 0x0a) return '';
  let len = 0;
  let shift = 0;
  let p = 1;
  for (;;) {
    const b = bytes[p++] ?? 0;
    len |= (b & 0x7f) << shift;
    if (!(b & 0x80)) break;
    shift += 7;
  }
  return new TextDecoder().decode(bytes.subarray(p, p + len));
}

/** The graph's inputs (names and element types) and output names (reads small fields only). */
async function graphIO(
  reader: BlobReader,
  layout: Awaited<ReturnType<typeof scanModel>>,
): Promise<{ inputs: { name: string; elemType: number }[]; outputs: Set<string> }> {
  const inputs: { name: string; elemType: number }[] = [];
  const outputs = new Set<string>();
  for (const e of layout.graphEntries) {
    if (e.kind !== 'other' || e.field.wire !== WIRE.LEN || (e.field.field !== GRAPH.input && e.field.field !== GRAPH.output)) continue;
    const info = valueInfoNameAndType(await reader.read(e.field.start, e.field.end));
    if (e.field.field === GRAPH.input) inputs.push(info);
    else outputs.add(info.name);
  }
  return { inputs, outputs };
}

/** Plans the attention fusion when asked for (nodes and small constants only). */
async function planFusion(reader: BlobReader, layout: Awaited<ReturnType<typeof scanModel>>, options: TransformOptions): Promise<AttentionFusionPlan> {
  if (!options.fuseAttention) return NO_FUSION;
  const io = await graphIO(reader, layout);
  const view = await GraphView.of(layout, reader, new Set(io.inputs.map((i) => i.name)), options.resolveExternal);
  return planAttentionFusion(view, io.outputs, layout.opsets.get('') ?? 0);
}

/** The `opset_import` entry of the contrib domain, for a model that gains MultiHeadAttention. */
function msOpsetImport(): ProtoWriter {
  return new ProtoWriter().string(OPSET.domain, MS_DOMAIN).varint(OPSET.version, 1);
}

/** What writing one graph needs: the source, the plans and the job's writers. */
interface GraphPlans {
  readonly layout: Awaited<ReturnType<typeof scanModel>>;
  readonly plan: Map<string, QuantizeTarget>;
  readonly renames: Map<string, string>;
  readonly fusion: Awaited<ReturnType<typeof planFusion>>;
}

async function transform(input: BlobLike, folder: OutputFolder, options: TransformOptions, quantize: QuantizeOptions | null): Promise<TransformResult> {
  const reader = new BlobReader(input);
  const layout = await scanModel(reader);
  const modelName = options.outputName ?? 'model.onnx';
  const chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
  if (chunkBytes % 8) throw new RangeError(`chunkBytes must be a multiple of 8, got ${chunkBytes}`);
  const plan = quantize ? planQuantization(layout, quantize) : new Map<string, QuantizeTarget>();
  if (plan.size && (layout.opsets.get('') ?? 0) < 13) {
    throw new UnsupportedModelError(`per-channel DequantizeLinear needs ai.onnx opset 13 or later; the model imports opset ${layout.opsets.get('') ?? 'none'}`);
  }
  const external = new ExternalDataWriter(folder, modelName, options.maxExternalFileBytes ?? 1024 ** 3);
  const job: Job = {
    reader,
    options,
    chunkBytes,
    threshold: options.externalDataThresholdBytes ?? 1024,
    external,
    counts: { ...emptyCounts(), quantizedWeights: 0, castsRemoved: 0, attentionFused: 0 },
    stats: { initializerBytes: 0, largest: 0, done: 0, total: 0 },
  };
  for (const e of layout.graphEntries) if (e.kind === 'initializer') job.stats.total += e.tensor.byteLength;
  const renames =
    options.removeIdentityCasts === false
      ? new Map<string, string>()
      : await graphIO(reader, layout).then((io) => planCastElimination(layout, io.inputs, io.outputs));
  const fusion = await planFusion(reader, layout, options);
  job.counts.attentionFused = fusion.fused;
  try {
    const graph = await writeGraph(job, { layout, plan, renames, fusion });
    await external.close();
    const modelBytes = await modelFileBytes(job, layout, graph, fusion.fused > 0);
    const file = await folder.create(modelName + PARTIAL_SUFFIX);
    await file.write(modelBytes);
    await file.close();
    throwIfAborted(options.signal);
    const files = await commitFiles(folder, external, modelName, modelBytes.byteLength);
    return {
      files,
      modelName,
      counts: job.counts,
      initializerBytes: job.stats.initializerBytes,
      largestInitializerBytes: job.stats.largest,
      bytesRead: reader.bytesRead,
    };
  } catch (error) {
    await external.close().catch(() => {});
    for (const name of [...external.names.map((n) => n + PARTIAL_SUFFIX), modelName + PARTIAL_SUFFIX]) await folder.remove(name).catch(() => {});
    throw error;
  }
}

/** The rewritten graph: nodes (fused, casts removed, DequantizeLinear first), initializers widened or quantized, value infos retyped. */
async function writeGraph(job: Job, p: GraphPlans): Promise<ProtoWriter> {
  const graph = new ProtoWriter();
  let dequantizeEmitted = p.plan.size === 0;
  const emitDequantize = () => {
    for (const target of p.plan.values()) graph.bytes(GRAPH.node, dequantizeNode(target));
    dequantizeEmitted = true;
  };
  for (const entry of p.layout.graphEntries) {
    if (entry.kind === 'node') {
      if (!dequantizeEmitted) emitDequantize();
      if (p.fusion.dropped.has(entry.node)) continue;
      for (const added of p.fusion.insertBefore.get(entry.node) ?? []) graph.bytes(GRAPH.node, added);
      const output = entry.node.outputs[0];
      if (entry.node.opType === 'Cast' && output !== undefined && p.renames.has(output)) {
        job.counts.castsRemoved++;
        continue;
      }
      const rewired = renameNodeInputs(entry.node.bytes, p.fusion.rewire.get(entry.node) ?? NO_RENAMES);
      graph.bytes(GRAPH.node, rewriteNode(renameNodeInputs(rewired, p.renames), job.counts));
    } else if (entry.kind === 'initializer') {
      if (p.fusion.removedInitializers.has(entry.tensor.name)) continue;
      const target = p.plan.get(entry.tensor.name);
      if (target) for (const t of await quantizeWeight(job, target)) graph.bytes(GRAPH.initializer, t);
      else graph.bytes(GRAPH.initializer, await widenedInitializer(job, entry.tensor, entry.field));
    } else await writeGraphField(job, p, entry.field, graph);
  }
  if (!dequantizeEmitted) emitDequantize();
  return graph;
}

/** An fp16/fp64 initializer as fp32: streamed into external data when large, else inline. */
async function widenedInitializer(job: Job, tensor: TensorHeader, field: Field): Promise<Uint8Array> {
  const wide = convertedBytes(tensor, true);
  const streamable = tensor.data.kind === 'raw' || tensor.data.kind === 'external';
  return wide >= job.threshold && streamable ? streamWidened(job, tensor, true) : inlineWidened(job, tensor, field, true);
}

/** Any other graph field: inputs, outputs and value infos retyped (or dropped with what they describe), the rest as it is. */
async function writeGraphField(job: Job, p: GraphPlans, f: Field, graph: ProtoWriter): Promise<void> {
  const bytes = await job.reader.read(f.headerStart, f.end);
  if (f.wire !== WIRE.LEN) {
    graph.raw(bytes);
    return;
  }
  const payload = bytes.subarray(f.start - f.headerStart);
  if (f.field === GRAPH.input && p.plan.has(nameOfValueInfo(payload))) return; // now made by DequantizeLinear
  if (isValueInfoOfRemoved(f.field, payload, p.renames)) return;
  if (f.field === GRAPH.valueInfo && p.fusion.removedTensors.has(nameOfValueInfo(payload))) return;
  if (f.field === GRAPH.input || f.field === GRAPH.output || f.field === GRAPH.valueInfo) graph.bytes(f.field, rewriteValueInfo(payload, job.counts));
  else if (f.field === GRAPH.sparseInitializer) graph.raw(rewriteGraphBytes(new ProtoWriter().bytes(GRAPH.sparseInitializer, payload).finish(), job.counts));
  else graph.raw(bytes);
}

/** The model file's bytes: its fields as they were, the new graph, functions retyped, the com.microsoft opset when attention was fused. */
async function modelFileBytes(job: Job, layout: GraphPlans['layout'], graph: ProtoWriter, fused: boolean): Promise<Uint8Array> {
  const model = new ProtoWriter();
  for (const f of layout.modelFields) {
    if (f.field === MODEL.graph && f.wire === WIRE.LEN) model.message(MODEL.graph, graph);
    else if (f.field === MODEL.functions && f.wire === WIRE.LEN) model.bytes(f.field, rewriteFunctionBytes(await job.reader.read(f.start, f.end), job.counts));
    else model.raw(await job.reader.read(f.headerStart, f.end));
  }
  if (fused && !layout.opsets.has(MS_DOMAIN)) model.message(MODEL.opsetImport, msOpsetImport());
  return model.finish();
}

/** Commit: data files first, the model last, so a model file always has its data. */
async function commitFiles(
  folder: OutputFolder,
  external: ExternalDataWriter,
  modelName: string,
  modelBytes: number,
): Promise<{ name: string; bytes: number }[]> {
  const files: { name: string; bytes: number }[] = [];
  for (const [i, name] of external.names.entries()) {
    await folder.rename(name + PARTIAL_SUFFIX, name);
    files.push({ name, bytes: external.sizes[i] ?? 0 });
  }
  await folder.rename(modelName + PARTIAL_SUFFIX, modelName);
  files.push({ name: modelName, bytes: modelBytes });
  return files;
}

/**
 * Converts an fp16 ONNX model to fp32: float16 initializers widened (large
 * ones streamed into external data files), Cast targets and generator
 * `dtype`s retargeted, graph I/O and value_info types rewritten, Constant
 * and other attribute tensors widened, subgraphs and model functions
 * included. Writes `<outputName>` and its `.data.<n>` files into `folder`
 * under temporary names and renames them only when all succeeded.
 *
 * @throws {@link MalformedModelError} on a truncated or malformed file,
 *   {@link UnsupportedModelError} on tensors it cannot handle,
 *   `signal.reason` when `signal` fires. Nothing is left in `folder` then.
 */
export function convertToFloat32(input: BlobLike, folder: OutputFolder, options: TransformOptions = {}): Promise<TransformResult> {
  return transform(input, folder, options, null);
}

/**
 * Builds the CPU-sized variant: the weights of MatMul/Conv/Gemm become int8
 * with per-output-channel float32 scales behind a `DequantizeLinear`, every
 * other float16 tensor is widened as {@link convertToFloat32} does. Works
 * on fp16 and fp32 inputs.
 */
export function quantizeWeightsInt8(
  input: BlobLike,
  folder: OutputFolder,
  options: TransformOptions & { readonly quantize?: QuantizeOptions } = {},
): Promise<TransformResult> {
  return transform(input, folder, options, options.quantize ?? {});
}
