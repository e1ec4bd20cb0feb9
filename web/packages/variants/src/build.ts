/**
 * Derives a whole model variant from a downloaded one: every ONNX graph
 * through {@link convertToFloat32} (`fp32`) or {@link quantizeWeightsInt8}
 * (`int8`), tokenizer files copied, requirements computed from the files
 * written, and a `variant.json` written last: a derived variant without
 * `variant.json` is incomplete and never used.
 */

import type { Backend, ModelFileEntry, ModelVariant } from '@hybridgen/core';
import { type BlobLike, BlobReader, formatBytes, throwIfAborted } from '@hybridgen/core';
import { requirementsFromFiles, type ScannedRequirements, type VariantGraphFile } from './budget.js';
import { VariantQuotaError } from './errors.js';
import { DataType } from './onnx-schema.js';
import { type OutputFolder, PARTIAL_SUFFIX } from './output.js';
import { planQuantization, type QuantizeOptions } from './quantize.js';
import { initializersOf, scanModel } from './scan.js';
import { convertToFloat32, quantizeWeightsInt8, type TransformResult } from './transform.js';

/** The derived variants. */
export type VariantKind = 'fp32' | 'int8';

/** The graph roles a variant can have. */
const GRAPH_ROLE_NAMES = new Set(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder', 'tiny_decoder', 'tiny_encoder']);

/** A folder tree the build writes into: `open('unet')` gives the unet folder. */
export interface OutputTree {
  /** The folder at a relative path (`''` for the root), created when missing. */
  open(path: string): Promise<OutputFolder>;
  /** Removes everything in the tree (a rebuild starts clean: no stale data or partial files). */
  clear(): Promise<void>;
}

/** What {@link buildVariant} needs. */
export interface BuildVariantRequest {
  readonly kind: VariantKind;
  /** The backend the derived variant is for (`webgpu-f32` for fp32, `wasm` for int8 by default). */
  readonly backend?: Backend;
  /** The source variant's file list (paths relative to the model folder). */
  readonly files: readonly ModelFileEntry[];
  /** The source files' bytes, by path (OPFS Files or fetched Blobs). */
  readonly blobs: Readonly<Record<string, BlobLike>>;
  /** Passed to the transforms. */
  readonly externalDataThresholdBytes?: number;
  readonly maxExternalFileBytes?: number;
  readonly quantize?: QuantizeOptions;
  /**
   * fp32 only: fuse the UNet's plain attention into `com.microsoft` MultiHeadAttention
   * (default true). Only the UNet: the VAE decoder's one 512-wide head runs slower fused
   * on ORT's WebGPU EP (BENCHMARKS.md), and the text encoder's attention is causal.
   */
  readonly fuseAttention?: boolean;
  /** Largest activation per role (bytes), for the requirements. */
  readonly activationBytes?: Readonly<Record<string, number>>;
  /**
   * Bytes the output may take (e.g. quota minus usage from `navigator.storage.estimate()`).
   * When the estimate of the output is larger, the build fails with {@link VariantQuotaError}
   * before writing anything.
   */
  readonly availableBytes?: number;
}

/** What {@link buildVariant} made. */
export interface BuiltVariant {
  readonly kind: VariantKind;
  readonly backend: Backend;
  /** The derived variant, paths relative to the output tree's root. */
  readonly variant: ModelVariant;
  readonly requirements: ScannedRequirements;
  readonly transforms: Readonly<Record<string, Omit<TransformResult, 'files'>>>;
  /** Attention blocks fused into MultiHeadAttention, per graph role (also in `variant.json`). */
  readonly attentionFused: Readonly<Record<string, number>>;
  readonly ms: number;
}

/** Progress of a build. */
export interface BuildProgress {
  readonly role: string;
  readonly doneBytes: number;
  readonly totalBytes: number;
}

/** Name of the file written last; its presence marks a complete derived variant. */
export const VARIANT_FILE = 'variant.json';

function split(path: string): { dir: string; name: string } {
  const i = path.lastIndexOf('/');
  return i < 0 ? { dir: '', name: path } : { dir: path.slice(0, i), name: path.slice(i + 1) };
}

function blobOf(request: BuildVariantRequest, path: string): BlobLike {
  const blob = request.blobs[path];
  if (!blob) throw new RangeError(`buildVariant: no bytes for ${path}`);
  return blob;
}

async function copy(blob: BlobLike, folder: OutputFolder, name: string): Promise<void> {
  const file = await folder.create(name + PARTIAL_SUFFIX);
  const step = 8 * 1024 * 1024;
  for (let pos = 0; pos < blob.size; pos += step) await file.write(new Uint8Array(await blob.slice(pos, Math.min(blob.size, pos + step)).arrayBuffer()));
  await file.close();
  await folder.rename(name + PARTIAL_SUFFIX, name);
}

/**
 * Bytes a build will write, from a header scan of the source graphs (no
 * weights read): float16 weights double, quantized ones become one byte per
 * element plus their scales, the rest stays; plus the non-weight bytes.
 */
export async function estimateVariantBytes(request: Pick<BuildVariantRequest, 'kind' | 'files' | 'blobs' | 'quantize'>): Promise<number> {
  let total = 0;
  for (const entry of request.files) {
    const blob = blobOf(request as BuildVariantRequest, entry.path);
    if (entry.role === 'external_data') continue;
    if (!GRAPH_ROLE_NAMES.has(entry.role)) {
      total += blob.size;
      continue;
    }
    const layout = await scanModel(new BlobReader(blob));
    const tensors = initializersOf(layout);
    const plan = request.kind === 'int8' ? planQuantization(layout, request.quantize ?? {}) : new Map();
    let inlineWeights = 0;
    for (const t of tensors) {
      if (t.data.kind === 'raw') inlineWeights += t.byteLength;
      const target = plan.get(t.name);
      if (target) total += t.elementCount + 4 * target.channels;
      else total += t.dataType === DataType.FLOAT16 ? 2 * t.byteLength : t.byteLength;
    }
    total += Math.max(0, blob.size - inlineWeights);
  }
  return total;
}

/**
 * Builds the `fp32` or `int8` variant of a downloaded variant into `out`,
 * graph by graph, streaming. Returns the derived variant (also written as
 * `variant.json`, last).
 */
export async function buildVariant(
  request: BuildVariantRequest,
  out: OutputTree & { readFile(path: string): Promise<BlobLike> },
  options: { readonly signal?: AbortSignal; readonly onProgress?: (p: BuildProgress) => void } = {},
): Promise<BuiltVariant> {
  const started = performance.now();
  const backend = request.backend ?? (request.kind === 'fp32' ? 'webgpu-f32' : 'wasm');
  if (request.availableBytes !== undefined) {
    const needed = await estimateVariantBytes(request);
    if (needed > request.availableBytes) {
      throw new VariantQuotaError(
        `the ${request.kind} variant needs ${formatBytes(needed)} of storage; the browser grants ${formatBytes(Math.max(0, request.availableBytes))} more`,
        needed,
        request.availableBytes,
      );
    }
  }
  await out.clear(); // an older build of this variant, complete or not, is gone
  const root = await out.open('');
  const files: ModelFileEntry[] = [];
  const graphs: VariantGraphFile[] = [];
  const transforms: Record<string, Omit<TransformResult, 'files'>> = {};
  let otherBytes = 0;
  for (const entry of request.files) {
    throwIfAborted(options.signal);
    const { dir, name } = split(entry.path);
    const folder = await out.open(dir);
    const source = blobOf(request, entry.path);
    if (!GRAPH_ROLE_NAMES.has(entry.role)) {
      if (entry.role === 'external_data') continue; // read through the model's resolver
      await copy(source, folder, name);
      files.push({ role: entry.role, path: entry.path, bytes: source.size });
      otherBytes += source.size;
      continue;
    }
    const prefix = dir ? `${dir}/` : '';
    const transformOptions = {
      outputName: name,
      fuseAttention: request.kind === 'fp32' && entry.role === 'unet' && request.fuseAttention !== false,
      resolveExternal: (location: string) => request.blobs[prefix + location],
      ...(request.externalDataThresholdBytes === undefined ? {} : { externalDataThresholdBytes: request.externalDataThresholdBytes }),
      ...(request.maxExternalFileBytes === undefined ? {} : { maxExternalFileBytes: request.maxExternalFileBytes }),
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: (p: { doneBytes: number; totalBytes: number }) => options.onProgress?.({ role: entry.role, ...p }),
    };
    const result =
      request.kind === 'fp32'
        ? await convertToFloat32(source, folder, transformOptions)
        : await quantizeWeightsInt8(source, folder, { ...transformOptions, quantize: request.quantize ?? {} });
    const { files: written, ...rest } = result;
    transforms[entry.role] = rest;
    const externalData: BlobLike[] = [];
    for (const f of written) {
      const blob = await out.readFile(prefix + f.name);
      if (f.name !== name) {
        externalData.push(blob);
        files.push({ role: 'external_data', path: prefix + f.name, bytes: blob.size });
      } else files.push({ role: entry.role, path: entry.path, bytes: blob.size });
    }
    const activation = request.activationBytes?.[entry.role];
    graphs.push({
      role: entry.role,
      model: await out.readFile(entry.path),
      externalData,
      ...(activation === undefined ? {} : { activationBytes: activation }),
    });
  }
  const attentionFused = Object.fromEntries(Object.entries(transforms).map(([role, t]) => [role, t.counts.attentionFused]));
  const requirements = await requirementsFromFiles(graphs, { backend, otherBytes });
  const { files: _perFile, ...plain } = requirements;
  const variant: ModelVariant = { requirements: plain, files };
  const manifest = await root.create(VARIANT_FILE + PARTIAL_SUFFIX);
  const source = request.files.map(({ path, bytes }) => ({ path, bytes }));
  await manifest.write(new TextEncoder().encode(`${JSON.stringify({ kind: request.kind, backend, source, attentionFused, ...variant }, null, 1)}\n`));
  await manifest.close();
  await root.rename(VARIANT_FILE + PARTIAL_SUFFIX, VARIANT_FILE);
  return { kind: request.kind, backend, variant, requirements, transforms, attentionFused, ms: performance.now() - started };
}
