/**
 * The memory budget check: before loading, learn from the files themselves
 * (a header scan, no weights read) what a variant needs, in the terms
 * {@link chooseBackend} already judges (`largestBufferBytes`,
 * `peakMemoryBytes`), and fail with a typed error that says what fits.
 */

import type { Backend, CapabilityReport, VariantRequirements } from '@hybridgen/core';
import { type BlobLike, BlobReader, chooseBackend, formatBytes, ModelTooLargeError } from '@hybridgen/core';
import { DataType, dataTypeName } from './onnx-schema.js';
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
  /** The largest int8 initializer (a quantized weight), 0 when none. */
  readonly largestInt8InitializerBytes: number;
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
    largestInt8InitializerBytes: Math.max(0, ...tensors.filter((t) => t.dataType === DataType.INT8).map((t) => t.byteLength)),
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
  /** The runtime's own wasm heap before any session (default 16 MiB: ORT-web 1.30's initial heap, measured). */
  readonly runtimeOverheadBytes?: number;
}

/** The requirements plus the per-file facts they came from. */
export interface ScannedRequirements extends VariantRequirements {
  readonly files: readonly (ModelFileFacts & { readonly role: string; readonly activationBytes: number })[];
}

/** Wasm heap per byte of weights of a live session (ORT-web 1.30, measured: 1.09 fp32, 1.34 int8; rounded up). */
const WASM_HEAP_PER_WEIGHT_BYTE = 1.25;

/**
 * Computes a variant's {@link VariantRequirements} from its files.
 *
 * - `largestBufferBytes`: the largest initializer, or activation when given.
 * - `peakMemoryBytes` on WASM: runtime overhead + 1.25 x the weights of the
 *   live sessions + 8 x the largest int8 weight (its float32 copies while a
 *   DequantizeLinear output is live) + 4 x the largest activation. Calibrated
 *   on ORT-web 1.30 in Chromium (`tests/bench/variants-memory.bench.test.ts`).
 *   On WebGPU: weights + 4 x the largest activation on the GPU.
 */
export async function requirementsFromFiles(graphs: readonly VariantGraphFile[], options: RequirementsOptions): Promise<ScannedRequirements> {
  const facts = [];
  for (const g of graphs) facts.push({ ...(await scanModelFile(g.model)), role: g.role });
  const download = graphs.reduce((sum, g) => sum + g.model.size + (g.externalData ?? []).reduce((a, b) => a + b.size, 0), options.otherBytes ?? 0);
  return requirementsFromFacts(
    facts.map((f, i) => ({ ...f, activationBytes: graphs[i]?.activationBytes ?? 0 })),
    download,
    options,
  );
}

/** The per-graph facts the requirement formulas use. */
export type GraphFacts = Pick<ModelFileFacts, 'initializerBytes' | 'largestInitializerBytes' | 'largestInt8InitializerBytes' | 'usesFloat16'> & {
  readonly role: string;
  readonly activationBytes: number;
};

/** The formulas of {@link requirementsFromFiles}, on facts (scanned, or estimated for a variant not built yet). */
export function requirementsFromFacts<F extends GraphFacts>(
  facts: readonly F[],
  downloadBytes: number,
  options: RequirementsOptions,
): VariantRequirements & { readonly files: readonly F[] } {
  const activation = facts.map((f) => f.activationBytes);
  const largestBuffer = Math.max(0, ...facts.map((f) => f.largestInitializerBytes), ...activation);
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  let peak: number;
  if (options.backend === 'wasm') {
    const overhead = options.runtimeOverheadBytes ?? 16 * 1024 ** 2;
    const own = facts.map((f) => WASM_HEAP_PER_WEIGHT_BYTE * f.initializerBytes + 8 * f.largestInt8InitializerBytes + 4 * f.activationBytes);
    peak = options.oneSessionAtATime
      ? overhead + Math.max(0, ...own)
      : overhead +
        WASM_HEAP_PER_WEIGHT_BYTE * sum(facts.map((f) => f.initializerBytes)) +
        8 * Math.max(0, ...facts.map((f) => f.largestInt8InitializerBytes)) +
        4 * Math.max(0, ...activation);
  } else {
    peak = sum(facts.map((f) => f.initializerBytes)) + 4 * Math.max(0, ...activation);
  }
  return {
    totalBytes: downloadBytes,
    largestBufferBytes: largestBuffer,
    peakMemoryBytes: Math.round(peak),
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
