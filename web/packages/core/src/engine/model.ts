/**
 * What the engine needs to know about a model: the part of a manifest
 * (`models/README.md`, schemaVersion 1) it reads, and where the files come
 * from. A full manifest object satisfies {@link EngineModel} as it is.
 */

import type { Backend, VariantRequirements } from '../backend/types.js';
import type { PipelineConfig } from '../models/pipeline.js';

/** A file's role in the pipeline (manifest `files[].role`). */
export type ModelFileRole = 'tokenizer' | 'text_encoder' | 'unet' | 'vae_decoder' | 'vae_encoder' | 'tiny_decoder' | 'external_data';

/** One file of a variant. */
export interface ModelFileEntry {
  readonly role: ModelFileRole | (string & {});
  /** Relative to the model's base (URL or store folder), e.g. `unet/model.onnx`. */
  readonly path: string;
  readonly bytes: number;
}

/** One variant of a model: what it needs and its files. */
export interface ModelVariant {
  readonly requirements: VariantRequirements;
  readonly files: readonly ModelFileEntry[];
}

/** The manifest's pipeline block (its parser is the manifest's: `../models/pipeline.ts`). */
export type { PipelineConfig, SdTurboPipeline } from '../models/pipeline.js';

/** The manifest fields the engine reads (a `ModelManifest` from the model registry is one). */
export interface EngineModel {
  readonly id: string;
  /** The manifest's `pipeline` block; the engine runs only `sd-turbo` (see {@link readPipelineConfig}). */
  readonly pipeline: PipelineConfig;
  readonly variants: Partial<Readonly<Record<Backend, ModelVariant>>>;
}

/**
 * Where the engine reads a variant's files from. Plain data, so it crosses
 * the worker boundary (`File`s from OPFS are `Blob`s and clone cheaply).
 */
export type ModelFileSource =
  /** Fetched from `baseUrl + path` (the Go mirror's `/models/{id}/`, or any static server). */
  | { readonly kind: 'url'; readonly baseUrl: string }
  /** Already in hand, keyed by manifest path (e.g. OPFS `File`s from the model store). */
  | { readonly kind: 'blobs'; readonly files: Readonly<Record<string, Blob>> };

/** A source over files in hand, e.g. the model store's `openFiles(...).files` (`{ path, file }` with OPFS Files). */
export function blobSource(files: readonly { readonly path: string; readonly file: Blob }[]): ModelFileSource {
  return { kind: 'blobs', files: Object.fromEntries(files.map((f) => [f.path, f.file])) };
}
