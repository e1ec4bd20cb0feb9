/**
 * Derived variants in the app's flow: estimate what a derived variant will
 * need before it exists (so {@link chooseBackend} can judge it), and build
 * it once into OPFS, reusing the stored one afterwards.
 */

import type { Backend, EngineModel, ModelFileEntry, ModelFileSource, ModelVariant, VariantDeriver, VariantRequirements } from '@hybridgen/core';
import { BlobReader } from '@hybridgen/core';
import { requirementsFromFacts } from './budget.js';
import { type BuildProgress, type BuiltVariant, estimateVariantBytes, type VariantKind } from './build.js';
import { derivedKindFor, engineInputsFor } from './engine-inputs.js';
import { DataType } from './onnx-schema.js';
import { openStoredVariant, opfsDirectory } from './opfs.js';
import { planQuantization, type QuantizeOptions } from './quantize.js';
import { initializersOf, scanModel } from './scan.js';
import type { VariantBuilder } from './worker.js';

const GRAPH_ROLES = new Set(['text_encoder', 'unet', 'vae_decoder', 'vae_encoder', 'tiny_decoder', 'tiny_encoder']);

/** What an estimate or a build starts from: the downloaded variant's files and their bytes. */
export interface DerivationSource {
  readonly files: readonly ModelFileEntry[];
  readonly blobs: Readonly<Record<string, Blob>>;
  readonly quantize?: QuantizeOptions;
  /** Largest activation per role, in bytes (e.g. from the manifest's pipeline size). */
  readonly activationBytes?: Readonly<Record<string, number>>;
}

/**
 * The requirements the `kind` variant will have, from a header scan of the
 * source graphs (no weights read, nothing written): fp16 weights doubled for
 * fp32; planned int8 weights at one byte per element plus scales.
 */
export async function estimateDerivedRequirements(source: DerivationSource, kind: VariantKind, backend: Backend): Promise<VariantRequirements> {
  const facts = [];
  for (const entry of source.files) {
    if (!GRAPH_ROLES.has(entry.role)) continue;
    const blob = source.blobs[entry.path];
    if (!blob) throw new RangeError(`estimateDerivedRequirements: no bytes for ${entry.path}`);
    const layout = await scanModel(new BlobReader(blob));
    const plan = kind === 'int8' ? planQuantization(layout, source.quantize ?? {}) : new Map();
    let weights = 0;
    let largest = 0;
    let largestInt8 = 0;
    for (const t of initializersOf(layout)) {
      const target = plan.get(t.name);
      const bytes = target ? t.elementCount : t.dataType === DataType.FLOAT16 || t.dataType === DataType.DOUBLE ? 4 * t.elementCount : t.byteLength;
      weights += bytes + (target ? 4 * target.channels : 0);
      largest = Math.max(largest, bytes);
      if (target) largestInt8 = Math.max(largestInt8, t.elementCount);
    }
    facts.push({
      role: entry.role,
      initializerBytes: weights,
      largestInitializerBytes: largest,
      largestInt8InitializerBytes: largestInt8,
      usesFloat16: false,
      activationBytes: source.activationBytes?.[entry.role] ?? 0,
    });
  }
  const { files: _facts, ...requirements } = requirementsFromFacts(facts, await estimateVariantBytes({ kind, ...source }), { backend });
  return requirements;
}

/**
 * The model with an estimated variant for each backend it ships none for
 * and can derive (`webgpu-f32` from fp32, `wasm` from int8), so
 * {@link chooseBackend} can weigh them. Their `files` stay empty until built
 * by {@link ensureDerivedVariant}.
 */
export async function withEstimatedDerivedVariants(model: EngineModel, source: DerivationSource): Promise<EngineModel> {
  const variants: Partial<Record<Backend, ModelVariant>> = { ...model.variants };
  for (const backend of ['webgpu-f32', 'wasm'] as const) {
    const kind = derivedKindFor(backend);
    if (variants[backend] || !kind) continue;
    variants[backend] = { requirements: await estimateDerivedRequirements(source, kind, backend), files: [] };
  }
  return { ...model, variants };
}

/** Options of {@link ensureDerivedVariant}. */
export interface EnsureDerivedVariantOptions {
  readonly model: EngineModel;
  /** The backend to run (from chooseBackend). */
  readonly backend: Backend;
  readonly source: DerivationSource;
  readonly builder: VariantBuilder;
  /** OPFS folder of the derived variants of this model, e.g. `variants/sd-turbo` (one sub-folder per kind). */
  readonly outDir: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: BuildProgress) => void;
}

/** What {@link ensureDerivedVariant} hands the engine. */
export interface EnsuredVariant {
  readonly model: EngineModel;
  readonly source: ModelFileSource;
  /** The build, when this call made one; null when the stored variant was reused. */
  readonly built: BuiltVariant | null;
}

function sameSource(a: readonly { path: string; bytes: number }[], b: readonly ModelFileEntry[]): boolean {
  return a.length === b.length && a.every((f, i) => f.path === b[i]?.path && f.bytes === b[i]?.bytes);
}

/**
 * The engine's load inputs for `backend`: the stored derived variant when a
 * complete one built from the same source files exists in OPFS, else a new
 * build (in the builder's worker) first. Returns null when the backend needs
 * no derived variant (the model ships files for it, or it is `webgpu-f16`).
 */
export async function ensureDerivedVariant(options: EnsureDerivedVariantOptions): Promise<EnsuredVariant | null> {
  const { model, backend, source } = options;
  const kind = derivedKindFor(backend);
  if (!kind || (model.variants[backend]?.files.length ?? 0) > 0) return null;
  const outDir = `${options.outDir}/${kind}`;
  const root = await opfsDirectory(await navigator.storage.getDirectory(), outDir);
  const stored = await openStoredVariant(root);
  // An fp32 build older than the attention fusion is rebuilt: the new one runs the UNet faster.
  const current = stored && (kind !== 'fp32' || stored.attentionFused !== null);
  if (stored && current && stored.kind === kind && sameSource(stored.source, source.files)) return { ...engineInputsFor(model, backend, stored), built: null };
  const built = await options.builder.build(
    {
      kind,
      backend,
      files: source.files,
      blobs: source.blobs,
      outDir,
      ...(source.quantize ? { quantize: source.quantize } : {}),
      ...(source.activationBytes ? { activationBytes: source.activationBytes } : {}),
    },
    { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
  );
  const fresh = await openStoredVariant(root);
  if (!fresh) throw new Error(`the ${kind} build finished but ${outDir} holds no complete variant`);
  return { ...engineInputsFor(model, backend, fresh), built };
}

/** Options of {@link createVariantDeriver}. */
export interface VariantDeriverOptions {
  /** Runs the builds, in its worker (`createVariantBuilder`). */
  readonly builder: VariantBuilder;
  /** Which weights the int8 variant quantizes. */
  readonly quantize?: QuantizeOptions;
}

/**
 * The local renderer's {@link VariantDeriver} (its `derive` option):
 * {@link ensureDerivedVariant} with this builder and quantize options.
 */
export function createVariantDeriver(options: VariantDeriverOptions): VariantDeriver {
  const withQuantize = (source: DerivationSource): DerivationSource => (options.quantize ? { ...source, quantize: options.quantize } : source);
  return {
    ensureDerivedVariant: (request) => ensureDerivedVariant({ ...request, source: withQuantize(request.source), builder: options.builder }),
  };
}
