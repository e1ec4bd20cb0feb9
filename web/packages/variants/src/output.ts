/**
 * Where a transform writes: a folder of named files (OPFS in the browser,
 * the file system in Node, memory in tests). The transform writes every
 * file under a temporary name and renames them only once all succeeded, the
 * model file last, so a reader never sees a half-written variant.
 */

/** A file open for writing. */
export interface OutputFile {
  /** Appends bytes (the caller may reuse `bytes` once the promise settles). */
  write(bytes: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** A folder the transform writes into. */
export interface OutputFolder {
  /** Creates (or truncates) `name` for writing. */
  create(name: string): Promise<OutputFile>;
  /** Renames `from` to `to`, replacing `to`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes `name`; no error when it is missing. */
  remove(name: string): Promise<void>;
}

/** Suffix of files being written. */
export const PARTIAL_SUFFIX = '.partial';

/** An in-memory {@link OutputFolder} (tests, small models). */
export class MemoryFolder implements OutputFolder {
  readonly files = new Map<string, Uint8Array>();

  async create(name: string): Promise<OutputFile> {
    const chunks: Uint8Array[] = [];
    const files = this.files;
    files.set(name, new Uint8Array(0));
    return {
      async write(bytes) {
        chunks.push(bytes.slice());
      },
      async close() {
        const size = chunks.reduce((a, c) => a + c.byteLength, 0);
        const out = new Uint8Array(size);
        let o = 0;
        for (const c of chunks) {
          out.set(c, o);
          o += c.byteLength;
        }
        files.set(name, out);
      },
    };
  }

  async rename(from: string, to: string): Promise<void> {
    const data = this.files.get(from);
    if (!data) throw new Error(`no file ${from}`);
    this.files.delete(from);
    this.files.set(to, data);
  }

  async remove(name: string): Promise<void> {
    this.files.delete(name);
  }

  /** A file's bytes as a Blob (to feed a transform's output back in). */
  blob(name: string): Blob {
    const data = this.files.get(name);
    if (!data) throw new Error(`no file ${name}`);
    return new Blob([data as Uint8Array<ArrayBuffer>]);
  }
}

/**
 * Writes tensors as ONNX external data into numbered files
 * (`<base>.data.0`, `.1`, ...) of at most `maxFileBytes` each, so every file
 * fits one browser ArrayBuffer. A tensor never straddles two files; one
 * larger than the limit gets a file of its own.
 */
export class ExternalDataWriter {
  private file: OutputFile | null = null;
  private fileIndex = -1;
  private offset = 0;
  /** Final names of the files written (without the partial suffix). */
  readonly names: string[] = [];
  /** Bytes of each file in {@link names}. */
  readonly sizes: number[] = [];
  /** Largest file written, in bytes. */
  largestFileBytes = 0;

  constructor(
    private readonly folder: OutputFolder,
    private readonly baseName: string,
    private readonly maxFileBytes: number,
    private readonly align = 64,
  ) {}

  /** Starts a tensor of `byteLength` bytes; returns its location and offset. */
  async begin(byteLength: number): Promise<{ location: string; offset: number }> {
    let start = Math.ceil(this.offset / this.align) * this.align;
    if (!this.file || (start > 0 && start + byteLength > this.maxFileBytes)) {
      await this.file?.close();
      this.fileIndex++;
      const name = `${this.baseName}.data.${this.fileIndex}`;
      this.names.push(name);
      this.sizes.push(0);
      this.file = await this.folder.create(name + PARTIAL_SUFFIX);
      this.offset = 0;
      start = 0;
    }
    if (start > this.offset) await this.write(new Uint8Array(start - this.offset));
    return { location: this.names[this.fileIndex] as string, offset: start };
  }

  /** Appends bytes of the current tensor. */
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.file) throw new Error('ExternalDataWriter.write before begin');
    await this.file.write(bytes);
    this.offset += bytes.byteLength;
    this.sizes[this.fileIndex] = this.offset;
    this.largestFileBytes = Math.max(this.largestFileBytes, this.offset);
  }

  /** Closes the last file. */
  async close(): Promise<void> {
    await this.file?.close();
    this.file = null;
  }
}
