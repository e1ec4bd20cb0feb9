/**
 * The memory budget check: before loading, learn from the files themselves
 * (a header scan, no weights read) what a variant needs, in the terms
 * {@link chooseBackend} already judges (`largestBufferBytes`,
 * `peakMemoryBytes`), and fail with a typed error that says what fits.
 */

import { chooseBackend } from '../backend/choose-backend.js';
import type { Backend, VariantRequirements } from '../backend/types.js';
import type { CapabilityReport } from '../capabilities/types.js';
import { ModelTooLargeError } from '../engine/errors.js';
import { formatBytes } from '../util/bytes.js';
import { DataType, dataTypeName } from './onnx-schema.js';
import { type BlobLike, BlobReader } from './proto/blob-reader.js';
import { initializersOf, scanModel } from './scan.js';

/** What a header scan learns about one ONNX file. */
export interface ModelFileFacts {
  /** Bytes of the `.onnx` file itself. */
  readonly fileBytes: number;
  /** Bytes of every initializer's values (inline and external). */
  readonly initializerBytes: number;
  readonly largestInitializerBytes: number;
  readonly largestInitializerName: string;
  /** Initializer bytes per element type, e.g. `{ float16: 1.7e9, int64: 800 }`. */
  readonly bytesByType: Readonly<Record<string, number>>;
  readonly initializerCount: number;
  /** Some initializer is float16. */
  readonly usesFloat16: boolean;
}

/**
 * Scans an ONNX file's initializer sizes without reading the weights (for
 * a 1.7 GB UNet: a few MB of headers and node bytes).
 */
export async function scanModelFile(file: BlobLike): Promise<ModelFileFacts> {
  const tensors = initializersOf(await scanModel(new BlobReader(file)));
  const bytesByType: Record<string, number> = {};
  let largest = { name: '', bytes: 0 };
  let total = 0;
  for (const t of tensors) {
    total += t.byteLength;
    const type = dataTypeName(t.dataType);
    bytesByType[type] = (bytesByType[type] ?? 0) + t.byteLength;
    if (t.byteLength > largest.bytes) largest = { name: t.name, bytes: t.byteLength };
  }
  return {
    fileBytes: file.size,
    initializerBytes: total,
    largestInitializerBytes: largest.bytes,
    largestInitializerName: largest.name,
    bytesByType,
    initializerCount: tensors.length,
    usesFloat16: tensors.some((t) => t.dataType === DataType.FLOAT16),
  };
}

/** One graph of a variant, as {@link requirementsFromFiles} takes it. */
export interface VariantGraphFile {
  readonly role: string;
  readonly model: BlobLike;
  /** Its external data files (counted in the download size). */
  readonly externalData?: readonly BlobLike[];
  /** Largest activation while this graph runs, if known (bytes); counted in the buffer and peak estimates. */
  readonly activationBytes?: number;
}

/** Options of {@link requirementsFromFiles}. */
export interface RequirementsOptions {
  readonly backend: Backend;
  /** Other files of the variant (tokenizer): bytes to download. */
  readonly otherBytes?: number;
  /**
   * WASM: sessions are created one at a time and released after use, so the
   * peak is that of the largest graph alone (default false: all three live).
   */
  readonly oneSessionAtATime?: boolean;
  /** The runtime's own wasm heap before any session (default 48 MiB, measured for ORT-web 1.30). */
  readonly runtimeOverheadBytes?: number;
}

/** The requirements plus the per-file facts they came from. */
export interface ScannedRequirements extends VariantRequirements {
  readonly files: readonly (ModelFileFacts & { readonly role: string })[];
}

/**
 * Computes a variant's {@link VariantRequirements} from its files.
 *
 * - `largestBufferBytes`: the largest initializer, or activation when given.
 * - `peakMemoryBytes` on WASM: runtime overhead + the weights of the live
 *   sessions + one more copy of the largest graph's weights (ORT copies the
 *   model bytes into the heap while it builds the session) + the largest
 *   activation x 4. On WebGPU: weights + activations x 4 on the GPU.
 */
export async function requirementsFromFiles(graphs: readonly VariantGraphFile[], options: RequirementsOptions): Promise<ScannedRequirements> {
  const facts = [];
  for (const g of graphs) facts.push({ ...(await scanModelFile(g.model)), role: g.role });
  const download = graphs.reduce((sum, g) => sum + g.model.size + (g.externalData ?? []).reduce((a, b) => a + b.size, 0), options.otherBytes ?? 0);
  const activation = (g: VariantGraphFile) => g.activationBytes ?? 0;
  const weights = facts.map((f) => f.initializerBytes);
  const perGraph = graphs.map((g, i) => 2 * (weights[i] ?? 0) + 4 * activation(g));
  const largestBuffer = Math.max(0, ...facts.map((f) => f.largestInitializerBytes), ...graphs.map(activation));
  let peak: number;
  if (options.backend === 'wasm') {
    const overhead = options.runtimeOverheadBytes ?? 48 * 1024 ** 2;
    peak = options.oneSessionAtATime
      ? overhead + Math.max(0, ...perGraph)
      : overhead + weights.reduce((a, b) => a + b, 0) + Math.max(0, ...weights) + 4 * Math.max(0, ...graphs.map(activation));
  } else {
    peak = weights.reduce((a, b) => a + b, 0) + 4 * Math.max(0, ...graphs.map(activation));
  }
  return {
    totalBytes: download,
    largestBufferBytes: largestBuffer,
    peakMemoryBytes: peak,
    needsShaderF16: options.backend !== 'wasm' && facts.some((f) => f.usesFloat16),
    files: facts,
  };
}

/** A variant that could run on a backend, with a name people understand ("fp32", "int8"). */
export interface VariantCandidate {
  readonly label: string;
  readonly backend: Backend;
  readonly requirements: VariantRequirements;
}

function judge(caps: CapabilityReport, c: VariantCandidate) {
  const choice = chooseBackend(
    caps,
    { modelId: c.label, variants: { [c.backend]: c.requirements } },
    { allow: [c.backend], allowFallbackAdapter: true, requirePersistentStorage: false },
  );
  return { fits: choice.backend === c.backend, rejection: choice.rejected.find((r) => r.backend === c.backend) };
}

function what(c: VariantCandidate): string {
  return c.backend === 'wasm'
    ? `${formatBytes(c.requirements.peakMemoryBytes)} of wasm memory`
    : `${formatBytes(c.requirements.peakMemoryBytes)} of GPU memory`;
}

/**
 * Returns the first candidate that fits this device (in the order given,
 * best first). When none fits, throws {@link ModelTooLargeError} whose
 * message names the first candidate's problem and what would fit instead,
 * e.g. "the fp32 variant (wasm) needs 3.6 GB of wasm memory; wasm32
 * addresses at most 4.3 GB. The int8 variant (1.4 GB of wasm memory) fits."
 * Size is judged by {@link chooseBackend}, never by a second set of rules.
 */
export function pickFittingVariant(
  caps: CapabilityReport,
  candidates: readonly VariantCandidate[],
  alternatives: readonly VariantCandidate[] = [],
): VariantCandidate {
  const first = candidates[0];
  if (!first) throw new RangeError('pickFittingVariant: no candidates');
  for (const c of candidates) if (judge(caps, c).fits) return c;
  const { rejection } = judge(caps, first);
  const others = alternatives.filter((a) => judge(caps, a).fits);
  const fitsText = others.length
    ? others.map((o) => `The ${o.label} variant (${o.backend}, ${what(o)}) fits.`).join(' ')
    : 'No variant of this model fits this device.';
  const needed = rejection?.code === 'buffer-too-large' ? first.requirements.largestBufferBytes : first.requirements.peakMemoryBytes;
  const limit =
    rejection?.code === 'buffer-too-large' && caps.webgpu.available
      ? Math.min(caps.webgpu.limits.maxBufferSize, caps.webgpu.limits.maxStorageBufferBindingSize)
      : 4 * 1024 ** 3;
  throw new ModelTooLargeError(
    `the ${first.label} variant (${first.backend}) does not fit: ${rejection?.reason ?? 'rejected'}. ${fitsText}`,
    first.backend,
    needed,
    limit,
    [...new Set(others.map((o) => o.backend))],
  );
}
