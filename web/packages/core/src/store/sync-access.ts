// OPFS synchronous access handles, which only dedicated workers have. The
// DOM typings this package builds with lack them, so they are declared here.

import { StorageUnavailableError } from './errors.js';
import { openFile } from './opfs.js';

/** The subset of `FileSystemSyncAccessHandle` the store uses. */
export interface SyncAccessHandle {
  read(buffer: ArrayBufferView, options?: { at?: number }): number;
  write(buffer: ArrayBufferView, options?: { at?: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

/** Opens a sync access handle on `handle` (dedicated workers only). */
export async function openSyncAccess(handle: FileSystemFileHandle): Promise<SyncAccessHandle> {
  const create = (handle as unknown as { createSyncAccessHandle?: () => Promise<SyncAccessHandle> }).createSyncAccessHandle;
  if (typeof create !== 'function') throw new StorageUnavailableError('OPFS createSyncAccessHandle is unavailable (it needs a dedicated worker)');
  return create.call(handle);
}

/** Replaces the file at `path` below `dir` with `value` as JSON. */
export async function writeJsonSync(dir: FileSystemDirectoryHandle, path: string, value: unknown): Promise<void> {
  const handle = await openFile(dir, path, true);
  if (!handle) throw new StorageUnavailableError(`cannot create ${path}`);
  const access = await openSyncAccess(handle);
  try {
    const bytes = new TextEncoder().encode(JSON.stringify(value));
    access.truncate(0);
    access.write(bytes, { at: 0 });
    access.flush();
  } finally {
    access.close();
  }
}

/** Keeps a JSON file (a download's resume record) open and rewrites it in place. */
export class JsonFileWriter {
  #access: SyncAccessHandle | null = null;
  readonly #dir: FileSystemDirectoryHandle;
  readonly #path: string;
  /** Writes `path` below `dir` (created on the first write). */
  constructor(dir: FileSystemDirectoryHandle, path: string) {
    this.#dir = dir;
    this.#path = path;
  }
  /** Replaces the file's content with `value` as JSON (not flushed). */
  async write(value: unknown): Promise<void> {
    if (!this.#access) {
      const handle = await openFile(this.#dir, this.#path, true);
      if (!handle) throw new StorageUnavailableError(`cannot create ${this.#path}`);
      this.#access = await openSyncAccess(handle);
    }
    const bytes = new TextEncoder().encode(JSON.stringify(value));
    this.#access.truncate(0);
    this.#access.write(bytes, { at: 0 });
  }
  /** Flushes and closes the file. */
  close(): void {
    this.#access?.flush();
    this.#access?.close();
    this.#access = null;
  }
}
