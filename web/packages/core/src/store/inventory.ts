// What is stored: per-model status, the list of cached models, and the
// stored files handed to the engine. Reads only; works in pages and workers.

import type { Backend } from '../backend/types.js';
import type { ManifestFile, ModelManifest } from '../models/types.js';
import { manifestFiles } from '../models/validate.js';
import { ModelNotReadyError, type VerificationSource } from './errors.js';
import { type CompletionRecord, directoryBytes, fileSize, openDirectory, openFile, openRoot, readCompletion } from './opfs.js';

/** How much of a model variant is stored. */
export interface ModelStatus {
  readonly modelId: string;
  readonly variant: Backend;
  /** `ready`: every file verified; `partial`: some bytes stored; `absent`: nothing. */
  readonly state: 'ready' | 'partial' | 'absent';
  /** Bytes of the variant's files stored (verified or partial). */
  readonly storedBytes: number;
  /** The variant's size per the manifest. */
  readonly totalBytes: number;
  /** Files not yet verified. */
  readonly missing: readonly string[];
}

/** One model folder in OPFS. */
export interface CachedModel {
  readonly modelId: string;
  /** Bytes the folder takes (files, partial files and records). */
  readonly bytes: number;
  /** Verified files, by path. */
  readonly files: CompletionRecord['files'];
}

/** A stored, verified file, as the engine gets it. */
export interface StoredFile {
  readonly role: ManifestFile['role'];
  readonly path: string;
  /** A disk-backed File from OPFS: slice it or stream it; it is not read into memory. */
  readonly file: File;
  readonly sha256: string;
  readonly verifiedBy: VerificationSource;
}

/** The stored files of a ready variant. */
export interface StoredModelFiles {
  readonly modelId: string;
  readonly variant: Backend;
  readonly files: readonly StoredFile[];
  /** The first file with this role; throws ModelNotReadyError when there is none. */
  byRole(role: ManifestFile['role']): StoredFile;
}

async function modelDirectory(rootDirectory: string, modelId: string): Promise<FileSystemDirectoryHandle | null> {
  const root = await openRoot(rootDirectory, { create: false });
  return root && openDirectory(root, [modelId], false);
}

/** Reports what is stored of `variant` (no network, no writes). */
export async function modelStatus(rootDirectory: string, manifest: ModelManifest, variant: Backend): Promise<ModelStatus> {
  const files = manifestFiles(manifest, variant);
  const totalBytes = files.reduce((a, f) => a + f.bytes, 0);
  const dir = await modelDirectory(rootDirectory, manifest.id);
  if (!dir) return { modelId: manifest.id, variant, state: 'absent', storedBytes: 0, totalBytes, missing: files.map((f) => f.path) };
  const completion = await readCompletion(dir, manifest.id);
  let storedBytes = 0;
  const missing: string[] = [];
  for (const f of files) {
    const size = await fileSize(dir, f.path);
    storedBytes += size;
    if (completion.files[f.path]?.bytes !== size || size === 0) missing.push(f.path);
  }
  const state = missing.length === 0 ? 'ready' : storedBytes > 0 ? 'partial' : 'absent';
  return { modelId: manifest.id, variant, state, storedBytes, totalBytes, missing };
}

/** Every model folder in the store, with its size and verified files. */
export async function listCachedModels(rootDirectory: string): Promise<CachedModel[]> {
  const root = await openRoot(rootDirectory, { create: false });
  if (!root) return [];
  const out: CachedModel[] = [];
  for await (const handle of (root as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
    if (handle.kind !== 'directory') continue;
    const dir = handle as FileSystemDirectoryHandle;
    const completion = await readCompletion(dir, dir.name);
    out.push({ modelId: dir.name, bytes: await directoryBytes(dir), files: completion.files });
  }
  return out.sort((a, b) => a.modelId.localeCompare(b.modelId));
}

/**
 * The verified files of `variant` as OPFS Files, checked against the
 * completion record (sizes must match). Throws ModelNotReadyError otherwise.
 */
export async function openStoredFiles(rootDirectory: string, manifest: ModelManifest, variant: Backend): Promise<StoredModelFiles> {
  const files = manifestFiles(manifest, variant);
  const dir = await modelDirectory(rootDirectory, manifest.id);
  if (!dir)
    throw new ModelNotReadyError(
      manifest.id,
      files.map((f) => f.path),
    );
  const completion = await readCompletion(dir, manifest.id);
  const stored: StoredFile[] = [];
  const missing: string[] = [];
  for (const f of files) {
    const entry = completion.files[f.path];
    const handle = entry ? await openFile(dir, f.path, false) : null;
    const file = handle ? await handle.getFile() : null;
    if (!entry || !file || file.size !== entry.bytes) missing.push(f.path);
    else stored.push({ role: f.role, path: f.path, file, sha256: entry.sha256, verifiedBy: entry.verifiedBy });
  }
  if (missing.length > 0) throw new ModelNotReadyError(manifest.id, missing);
  return {
    modelId: manifest.id,
    variant,
    files: stored,
    byRole(role) {
      const found = stored.find((s) => s.role === role);
      if (!found) throw new ModelNotReadyError(manifest.id, [`(no ${role} file)`]);
      return found;
    },
  };
}
