// The manifests shipped with the app: the same JSON files the Go binary
// embeds (repository root models/*.json), imported here so both sides read
// one copy. Add a model by adding its JSON there and one import below.
import esrganSlimJson from '../../../../../models/esrgan-slim.json' with { type: 'json' };
import sdTurboJson from '../../../../../models/sd-turbo.json' with { type: 'json' };
import selfieSegmentationJson from '../../../../../models/selfie-segmentation.json' with { type: 'json' };
import type { Backend, ModelRequirements } from '../backend/types.js';
import { unsupportedOpsReason, variantUnsupportedGraphs } from './ops.js';
import { isPipeline, type SdTurboPipeline } from './pipeline.js';
import type { ManifestVariant, ModelManifest } from './types.js';
import { parseManifest } from './validate.js';

/** A model id no built-in manifest has. */
export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError';
  readonly modelId: string;
  constructor(modelId: string) {
    super(`unknown model "${modelId}" (known: ${BUILTIN_MANIFESTS.map((m) => m.id).join(', ')})`);
    this.modelId = modelId;
  }
}

/** The pipeline kinds that draft images from prompts: the ones the local engine runs. */
export const DRAFTING_PIPELINES: readonly string[] = ['sd-turbo'];

/** A model that does not draft images from prompts (e.g. the `esrgan-slim` upscaler) was chosen to draft. */
export class NotADraftingModelError extends Error {
  override readonly name = 'NotADraftingModelError';
  readonly modelId: string;
  /** The manifest's `pipeline.kind`, e.g. `upscaler`. */
  readonly kind: string;
  constructor(modelId: string, kind: string) {
    super(
      `"${modelId}" is a model of kind "${kind}", not one that drafts images (${DRAFTING_PIPELINES.join(', ')}): name a drafting model, or none for the default`,
    );
    this.modelId = modelId;
    this.kind = kind;
  }
}

/** A manifest of a model that drafts images from prompts: its pipeline is SD-Turbo's. */
export type DraftingManifest = ModelManifest & { readonly pipeline: SdTurboPipeline };

/** Returns the manifest when it drafts images from prompts; throws {@link NotADraftingModelError} otherwise. */
export function assertDraftingModel(manifest: ModelManifest): DraftingManifest {
  const pipeline = manifest.pipeline;
  if (!isPipeline(pipeline, 'sd-turbo')) throw new NotADraftingModelError(manifest.id, pipeline.kind);
  return { ...manifest, pipeline };
}

/** The built-in manifests, validated when the module loads. */
export const BUILTIN_MANIFESTS: readonly ModelManifest[] = [
  parseManifest(sdTurboJson, { source: 'models/sd-turbo.json' }),
  parseManifest(esrganSlimJson, { source: 'models/esrgan-slim.json' }),
  parseManifest(selfieSegmentationJson, { source: 'models/selfie-segmentation.json' }),
];

/** The built-in manifest with this id; throws {@link UnknownModelError}. */
export function getManifest(modelId: string): ModelManifest {
  const found = BUILTIN_MANIFESTS.find((m) => m.id === modelId);
  if (!found) throw new UnknownModelError(modelId);
  return found;
}

/**
 * The manifest's requirements in the shape {@link chooseBackend} takes, with
 * the operators each variant's backend lacks (from its graph summaries), so a
 * variant that cannot run is refused before anything downloads.
 */
export function manifestRequirements(manifest: ModelManifest): ModelRequirements {
  const variants: Partial<Record<Backend, ManifestVariant['requirements']>> = {};
  const unsupportedOps: Partial<Record<Backend, string>> = {};
  for (const [backend, variant] of Object.entries(manifest.variants) as [Backend, ManifestVariant][]) {
    variants[backend] = variant.requirements;
    const graphs = variantUnsupportedGraphs(manifest, backend);
    if (graphs.length > 0) unsupportedOps[backend] = unsupportedOpsReason(backend, graphs);
  }
  return { modelId: manifest.id, variants, ...(Object.keys(unsupportedOps).length > 0 ? { unsupportedOps } : {}) };
}

/**
 * Where to download `path` of `manifest`: under `mirrorRoot` (a deployer's
 * mirror holding one folder per model id, such as `https://cdn.example/models/`,
 * or `/models/` for the app's own Go server) when given, else under the
 * manifest's pinned `baseUrl`. Relative results resolve against `origin`.
 */
export function resolveFileUrl(manifest: ModelManifest, path: string, options: { readonly mirrorRoot?: string | undefined; readonly origin: string }): string {
  const base = options.mirrorRoot ? `${options.mirrorRoot.replace(/\/+$/, '')}/${manifest.id}/` : manifest.baseUrl;
  return new URL(path, new URL(base, options.origin)).href;
}
