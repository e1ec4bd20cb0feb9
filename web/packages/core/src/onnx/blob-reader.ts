/**
 * Reads a protobuf held in a Blob (an OPFS `File`, a `fs.openAsBlob` file in
 * Node) without materialising it: field headers come from a small window
 * that is refilled with `slice()`, payloads are read on demand or skipped.
 * Memory stays at one window plus whatever the caller asks for.
 */

import { MalformedModelError } from '../engine/errors.js';
import { type Field, readField } from './wire.js';

/** What the reader needs from a Blob: its size and byte slices. */
export interface BlobLike {
  readonly size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

/** Longest possible field header: a 10-byte key and a 10-byte length. */
const MAX_HEADER = 20;

/** Options of {@link BlobReader}. */
export interface BlobReaderOptions {
  /** Bytes read at once for headers and small fields (default 64 KiB). */
  readonly windowBytes?: number;
}

/** Random access to the protobuf in a Blob, with a read-ahead window for headers. */
export class BlobReader {
  private window = new Uint8Array(0);
  private windowStart = 0;
  private readonly windowBytes: number;
  /** Bytes read from the Blob so far (headers, windows and payloads). */
  bytesRead = 0;

  constructor(
    readonly blob: BlobLike,
    options: BlobReaderOptions = {},
  ) {
    this.windowBytes = options.windowBytes ?? 64 * 1024;
  }

  /** Size of the Blob. */
  get size(): number {
    return this.blob.size;
  }

  /** Reads `[start, end)`; throws {@link MalformedModelError} when it runs past the end of the Blob. */
  async read(start: number, end: number): Promise<Uint8Array> {
    if (end > this.blob.size) throw new MalformedModelError(`needs bytes up to ${end} but the file has ${this.blob.size} (truncated)`, this.blob.size);
    if (start >= this.windowStart && end <= this.windowStart + this.window.byteLength) {
      return this.window.subarray(start - this.windowStart, end - this.windowStart);
    }
    const bytes = new Uint8Array(await this.blob.slice(start, end).arrayBuffer());
    this.bytesRead += bytes.byteLength;
    if (bytes.byteLength !== end - start) throw new MalformedModelError(`short read of ${bytes.byteLength} of ${end - start} bytes`, start);
    return bytes;
  }

  private async ensureWindow(pos: number, limit: number): Promise<void> {
    const need = Math.min(pos + MAX_HEADER, limit);
    if (pos >= this.windowStart && need <= this.windowStart + this.window.byteLength) return;
    const end = Math.min(limit, this.blob.size, pos + Math.max(this.windowBytes, MAX_HEADER));
    this.window = new Uint8Array(await this.blob.slice(pos, end).arrayBuffer());
    this.bytesRead += this.window.byteLength;
    this.windowStart = pos;
  }

  /** The header of the field at `pos` inside a message ending at `end` (offsets in the Blob). */
  async field(pos: number, end: number): Promise<Field> {
    if (end > this.blob.size) throw new MalformedModelError(`a message claims ${end - this.blob.size} bytes past the end of the file (truncated)`, pos);
    await this.ensureWindow(pos, end);
    const local = readField(this.window, pos - this.windowStart, end - this.windowStart, this.windowStart);
    const shift = this.windowStart;
    return { ...local, headerStart: local.headerStart + shift, start: local.start + shift, end: local.end + shift };
  }

  /** Every field of the message in `[start, end)` of the Blob, payloads not read. */
  async *fields(start: number, end: number): AsyncGenerator<Field> {
    let pos = start;
    while (pos < end) {
      const f = await this.field(pos, end);
      yield f;
      pos = f.end;
    }
  }
}
