/**
 * The local renderer's port to derived variants: what it asks of a model
 * that ships only fp16 weights the device cannot run. `@hybridgen/variants`
 * implements it (`createVariantDeriver`); core names only the shape, so it
 * stays below that package and never imports it.
 */

import type { Backend } from '../backend/types.js';
import type { EngineModel, ModelFileEntry, ModelFileSource } from '../engine/model.js';

/** What a derivation starts from: the downloaded variant's files and their bytes. */
export interface DerivationFiles {
  readonly files: readonly ModelFileEntry[];
  readonly blobs: Readonly<Record<string, Blob>>;
}

/** Progress of a derived variant's build: bytes of the graph being written. */
export interface DeriveProgress {
  readonly role: string;
  readonly doneBytes: number;
  readonly totalBytes: number;
}

/** One call to {@link VariantDeriver.ensureDerivedVariant}. */
export interface DeriveRequest {
  readonly model: EngineModel;
  /** The backend to run (from chooseBackend). */
  readonly backend: Backend;
  readonly source: DerivationFiles;
  /** Storage folder of the derived variants of this model, e.g. `variants/sd-turbo`. */
  readonly outDir: string;
  readonly signal?: AbortSignal;
  /** Called only while a variant is built (not when a stored one is reused). */
  readonly onProgress?: (progress: DeriveProgress) => void;
}

/** The engine's load inputs for a derived variant. */
export interface DerivedInputs {
  readonly model: EngineModel;
  readonly source: ModelFileSource;
}

/** Builds (once) and finds the variants a model does not ship; see `@hybridgen/variants`' `createVariantDeriver`. */
export interface VariantDeriver {
  /** The stored derived variant for `request.backend`, else a new build first; null when the backend needs none. */
  ensureDerivedVariant(request: DeriveRequest): Promise<DerivedInputs | null>;
}
