/**
 * The origin private file system as the transforms' output, from a
 * dedicated worker: files written through `createSyncAccessHandle` (no
 * whole-file buffers), renamed with `FileSystemFileHandle.move`.
 */

import type { ModelVariant } from '@hybridgen/core';
import type { OutputTree } from './build.js';
import { VARIANT_FILE } from './build.js';
import type { OutputFile, OutputFolder } from './output.js';

/** Chromium's OPFS file handles can be renamed in place. */
type MovableFileHandle = FileSystemFileHandle & { move(name: string): Promise<void> };

/** The part of `FileSystemSyncAccessHandle` (dedicated workers) used here. */
interface SyncAccess {
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
}
type WorkerFileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncAccess> };

/** The directory at `path` (segments separated by `/`) under `root`, created when missing. */
export async function opfsDirectory(root: FileSystemDirectoryHandle, path: string): Promise<FileSystemDirectoryHandle> {
  let dir = root;
  for (const part of path.split('/').filter(Boolean)) dir = await dir.getDirectoryHandle(part, { create: true });
  return dir;
}

/** An {@link OutputFolder} over an OPFS directory (dedicated workers only: sync access handles). */
export function opfsFolder(dir: FileSystemDirectoryHandle): OutputFolder {
  return {
    async create(name: string): Promise<OutputFile> {
      const handle = (await dir.getFileHandle(name, { create: true })) as unknown as WorkerFileHandle;
      const access = await handle.createSyncAccessHandle();
      access.truncate(0);
      let at = 0;
      return {
        async write(bytes) {
          at += access.write(bytes, { at });
        },
        async close() {
          access.flush();
          access.close();
        },
      };
    },
    async rename(from, to) {
      await dir.removeEntry(to).catch(() => {});
      const handle = (await dir.getFileHandle(from)) as unknown as MovableFileHandle;
      await handle.move(to);
    },
    async remove(name) {
      await dir.removeEntry(name).catch(() => {});
    },
  };
}

/** An {@link OutputTree} rooted at an OPFS directory, with reads of what it wrote. */
export function opfsTree(root: FileSystemDirectoryHandle): OutputTree & { readFile(path: string): Promise<File> } {
  return {
    open: async (path) => opfsFolder(await opfsDirectory(root, path)),
    async clear() {
      const names: string[] = [];
      for await (const name of (root as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
      // variant.json first: the variant stops being "complete" before anything else goes
      names.sort((a, b) => Number(b === VARIANT_FILE) - Number(a === VARIANT_FILE));
      for (const name of names) await root.removeEntry(name, { recursive: true });
    },
    async readFile(path) {
      const i = path.lastIndexOf('/');
      const dir = await opfsDirectory(root, i < 0 ? '' : path.slice(0, i));
      return (await dir.getFileHandle(i < 0 ? path : path.slice(i + 1))).getFile();
    },
  };
}

/**
 * Opens a derived variant stored in OPFS: its `variant.json` and a `File`
 * per path, ready for the engine's `{ kind: 'blobs' }` source. Returns
 * `null` when the variant is missing or incomplete (no `variant.json`).
 */
export async function openStoredVariant(root: FileSystemDirectoryHandle): Promise<{
  kind: string;
  backend: string;
  /** The source files it was built from (path and size), to tell a stale build. */
  source: { path: string; bytes: number }[];
  /** Attention blocks fused into MultiHeadAttention per graph role; null for a build older than the fusion. */
  attentionFused: Record<string, number> | null;
  variant: ModelVariant;
  files: Record<string, File>;
} | null> {
  let manifest: File;
  try {
    manifest = await (await root.getFileHandle(VARIANT_FILE)).getFile();
  } catch {
    return null;
  }
  const data = JSON.parse(await manifest.text()) as {
    kind: string;
    backend: string;
    source?: { path: string; bytes: number }[];
    attentionFused?: Record<string, number>;
  } & ModelVariant;
  const tree = opfsTree(root);
  const files: Record<string, File> = {};
  for (const f of data.files) files[f.path] = await tree.readFile(f.path);
  return {
    kind: data.kind,
    backend: data.backend,
    source: data.source ?? [],
    attentionFused: data.attentionFused ?? null,
    variant: { requirements: data.requirements, files: data.files },
    files,
  };
}
