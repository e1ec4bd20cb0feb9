/**
 * The glue between derived variants and the engine: which derived variant
 * a backend needs when a model ships only fp16 files, and the engine's load
 * inputs for a derived variant opened from OPFS.
 */

import type { Backend, EngineModel, ModelFileSource, ModelVariant } from '@hybridgen/core';
import type { VariantKind } from './build.js';

/**
 * The derived variant a backend runs when the model has no variant of its
 * own for it: `fp32` for `webgpu-f32` (no `shader-f16`), `int8` for `wasm`
 * (fits wasm32), none for `webgpu-f16` (the downloaded files run as they are).
 */
export function derivedKindFor(backend: Backend): VariantKind | null {
  if (backend === 'webgpu-f32') return 'fp32';
  if (backend === 'wasm') return 'int8';
  return null;
}

/**
 * The model and file source to hand `LocalEngine.load` for a derived
 * variant (e.g. from {@link openStoredVariant}): the model's variant for
 * `backend` replaced by the derived one, files served from the given Blobs.
 */
export function engineInputsFor(
  model: EngineModel,
  backend: Backend,
  stored: { readonly variant: ModelVariant; readonly files: Readonly<Record<string, Blob>> },
): { model: EngineModel; source: ModelFileSource } {
  return { model: { ...model, variants: { ...model.variants, [backend]: stored.variant } }, source: { kind: 'blobs', files: stored.files } };
}
