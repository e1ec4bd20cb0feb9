// OPFS layout of the model store, readable from pages and workers:
//   <root>/<modelId>/<file path>          the file's bytes (partial until listed as complete)
//   <root>/<modelId>/.resume/<path>.json  how to resume a partial file (see ResumeRecord)
//   <root>/<modelId>/.complete.json       the completion record: verified files only, written last

import type { VerificationSource } from './errors.js';

/** The default OPFS folder of the store. */
export const DEFAULT_ROOT_DIRECTORY = 'hybridgen-models';
/** The completion record's file name. */
export const COMPLETION_FILE = '.complete.json';
/** The folder of resume records. */
export const RESUME_DIRECTORY = '.resume';

/** One verified file in the completion record. */
export interface CompletedFile {
  readonly bytes: number;
  readonly sha256: string;
  /** git's blob SHA-1, when the file was verified against one. */
  readonly gitBlobSha1?: string | null;
  readonly verifiedBy: VerificationSource;
  readonly completedAt: string;
}

/** `.complete.json`: the files of a model that were stored and verified. */
export interface CompletionRecord {
  readonly schemaVersion: 1;
  readonly modelId: string;
  readonly files: Readonly<Record<string, CompletedFile>>;
}

/** `.resume/<path>.json`: what a later attempt needs to continue a partial file. */
export interface ResumeRecord {
  readonly url: string;
  /** The strong validator of the bytes written so far (for If-Range), or null. */
  readonly etag: string | null;
  /** The SHA-256 the file must have (null when only a git blob SHA-1 is known), and where it came from. */
  readonly expectedSha256: string | null;
  /** The git blob SHA-1 the file must have, when known (absent in records of older versions). */
  readonly expectedGitBlobSha1?: string | null;
  readonly verifiedBy: VerificationSource;
  /** The file's full size as the server reported it. */
  readonly totalBytes: number;
  /** The hasher state after `offset` bytes (hash-wasm `save()`, base64), or null. */
  readonly checkpoint: { readonly offset: number; readonly hasherState: string; readonly gitBlobSha1State?: string | null } | null;
}

/** Opens the store's root folder; `create` makes it when missing, else a missing one yields null. */
export async function openRoot(name: string, options: { readonly create: boolean }): Promise<FileSystemDirectoryHandle | null> {
  const origin = await navigator.storage.getDirectory();
  try {
    return await origin.getDirectoryHandle(name, { create: options.create });
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Walks `path` (slash-separated) below `dir`; null when a part is missing and `create` is false. */
export async function openDirectory(dir: FileSystemDirectoryHandle, parts: readonly string[], create: boolean): Promise<FileSystemDirectoryHandle | null> {
  let current = dir;
  for (const part of parts) {
    try {
      current = await current.getDirectoryHandle(part, { create });
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }
  return current;
}

/** The handle of the file at `path` below `dir`, or null when it does not exist (and `create` is false). */
export async function openFile(dir: FileSystemDirectoryHandle, path: string, create: boolean): Promise<FileSystemFileHandle | null> {
  const parts = path.split('/');
  const name = parts.pop();
  if (!name) return null;
  const parent = await openDirectory(dir, parts, create);
  if (!parent) return null;
  try {
    return await parent.getFileHandle(name, { create });
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

/** Removes the file at `path` below `dir`; a missing file is fine. */
export async function removeFile(dir: FileSystemDirectoryHandle, path: string): Promise<void> {
  const parts = path.split('/');
  const name = parts.pop();
  const parent = name ? await openDirectory(dir, parts, false) : null;
  if (!parent || !name) return;
  try {
    await parent.removeEntry(name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** The size of the file at `path`, 0 when missing. */
export async function fileSize(dir: FileSystemDirectoryHandle, path: string): Promise<number> {
  const handle = await openFile(dir, path, false);
  return handle ? (await handle.getFile()).size : 0;
}

/** Reads and parses a JSON file; null when missing or unreadable (a torn write reads as missing). */
export async function readJson<T>(dir: FileSystemDirectoryHandle, path: string): Promise<T | null> {
  const handle = await openFile(dir, path, false);
  if (!handle) return null;
  try {
    return JSON.parse(await (await handle.getFile()).text()) as T;
  } catch {
    return null;
  }
}

/** The completion record of a model folder; an empty one when missing. */
export async function readCompletion(modelDir: FileSystemDirectoryHandle, modelId: string): Promise<CompletionRecord> {
  const record = await readJson<CompletionRecord>(modelDir, COMPLETION_FILE);
  if (record?.schemaVersion !== 1 || record.modelId !== modelId || typeof record.files !== 'object' || record.files === null)
    return { schemaVersion: 1, modelId, files: {} };
  return record;
}

/** The resume record's file name for a file path. */
export function resumeRecordPath(path: string): string {
  return `${RESUME_DIRECTORY}/${encodeURIComponent(path)}.json`;
}

/** Sums the sizes of every file below `dir`. */
export async function directoryBytes(dir: FileSystemDirectoryHandle): Promise<number> {
  let total = 0;
  for await (const handle of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
    try {
      if (handle.kind === 'file') total += (await (handle as FileSystemFileHandle).getFile()).size;
      else total += await directoryBytes(handle as FileSystemDirectoryHandle);
    } catch (error) {
      // A download running in a worker renames and removes its partial files: an entry listed a
      // moment ago may be gone now. It no longer takes space, so it counts as nothing.
      if (!isNotFound(error)) throw error;
    }
  }
  return total;
}

/** A DOMException for a missing entry. */
export function isNotFound(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'NotFoundError' || error.name === 'TypeMismatchError');
}
