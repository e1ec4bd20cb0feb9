import type { Backend, VariantRequirements } from '../backend/types.js';

/** What a file does in a pipeline. */
export type FileRole = 'tokenizer' | 'text_encoder' | 'unet' | 'vae_decoder' | 'vae_encoder' | 'tiny_decoder' | 'external_data';

/** Every role, for validation. */
export const FILE_ROLES: readonly FileRole[] = ['tokenizer', 'text_encoder', 'unet', 'vae_decoder', 'vae_encoder', 'tiny_decoder', 'external_data'];

/** One file of a variant (see models/README.md). */
export interface ManifestFile {
  readonly role: FileRole;
  /** Relative to the manifest's `baseUrl`; also the file's path in OPFS and in the mirror (under the model id). */
  readonly path: string;
  /** Size in bytes; an estimate when {@link ManifestFile.bytesEstimated} is set. */
  readonly bytes: number;
  /** `bytes` is a rounded listing: the server's Content-Length is the real size. */
  readonly bytesEstimated?: boolean;
  /** Pinned lowercase hex SHA-256, or `null`: then the download is verified against the server's hash (a SHA-256 ETag). */
  readonly sha256: string | null;
}

/** The files one backend runs, and what it needs from the device. */
export interface ManifestVariant {
  readonly requirements: VariantRequirements;
  readonly files: readonly ManifestFile[];
}

/** A model manifest, schema version 1: the JSON files in the repository's `models/` folder. */
export interface ModelManifest {
  readonly schemaVersion: 1;
  /** Stable id; the folder name in OPFS and in the mirror. */
  readonly id: string;
  readonly displayName: string;
  readonly license: { readonly name: string; readonly url?: string };
  /** Free text for people: provenance, what is not pinned and why. */
  readonly comment?: string;
  /** Where the files live: an http(s) URL or a path on the app's own server, ending in `/`, at a pinned revision. */
  readonly baseUrl: string;
  /** What the engine needs to run the model; the engine validates it. */
  readonly pipeline: Readonly<Record<string, unknown>>;
  readonly variants: Partial<Readonly<Record<Backend, ManifestVariant>>>;
}
