/**
 * Node adapters of the variant transforms' I/O: a Blob-like view of a file
 * that reads only the slices asked for, and an output folder on disk.
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BlobLike } from '@hybridgen/core';
import type { OutputFile, OutputFolder } from '@hybridgen/variants';

/** A file read by positioned reads (like a Blob backed by a file, without loading it). */
export class FileBlob implements BlobLike {
  private fd: number | null;
  readonly size: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.size = fstatSync(this.fd).size;
  }

  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> } {
    return {
      arrayBuffer: async () => {
        if (this.fd === null) throw new Error(`${this.path} is closed`);
        const length = Math.max(0, Math.min(end, this.size) - start);
        const buffer = new ArrayBuffer(length);
        let done = 0;
        while (done < length) {
          const n = readSync(this.fd, new Uint8Array(buffer, done), 0, length - done, start + done);
          if (n === 0) break;
          done += n;
        }
        return done === length ? buffer : buffer.slice(0, done);
      },
    };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Opens the external data files of a model next to it, on demand. */
export function externalResolver(modelPath: string): { resolve: (location: string) => BlobLike | undefined; close: () => void } {
  const opened = new Map<string, FileBlob>();
  return {
    resolve(location) {
      const path = join(dirname(modelPath), location);
      let blob = opened.get(path);
      if (!blob) {
        try {
          blob = new FileBlob(path);
        } catch {
          return undefined;
        }
        opened.set(path, blob);
      }
      return blob;
    },
    close() {
      for (const b of opened.values()) b.close();
    },
  };
}

/** An output folder on disk (created when missing). */
export class DiskFolder implements OutputFolder {
  constructor(readonly dir: string) {}

  async create(name: string): Promise<OutputFile> {
    await mkdir(this.dir, { recursive: true });
    const handle = await open(join(this.dir, name), 'w');
    return {
      async write(bytes) {
        let done = 0;
        while (done < bytes.byteLength) done += (await handle.write(bytes, done, bytes.byteLength - done)).bytesWritten;
      },
      async close() {
        await handle.sync();
        await handle.close();
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    await rename(join(this.dir, from), join(this.dir, to));
  }

  async remove(name: string): Promise<void> {
    await rm(join(this.dir, name), { force: true });
  }
}
