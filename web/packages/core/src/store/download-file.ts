// Downloads one file into OPFS from a dedicated worker: streaming SHA-256,
// resume with Range + If-Range, clean restarts, verification.
//
// Resume and hashing: hash-wasm's hasher state can be saved and loaded
// (`save()` / `load()`), so every `checkpointBytes` the state is stored in
// the resume record with its byte offset. A later attempt loads the state and
// re-hashes only the bytes written after the checkpoint (at most one
// checkpoint interval, read back from OPFS), then asks the server for the
// rest: no byte on disk is fetched twice. Without a usable checkpoint it
// re-hashes the whole partial file from OPFS once. Hashing itself runs in a
// hash worker beside this one (hash-pipeline.ts), so it overlaps the fetch.
//
// The download is a small state machine: resume (what the disk and the
// resume record hold), then attempts under retrying() (open: one request and
// what its answer means; stream: bytes to disk and hasher), then verify.
//
// Checkpoints are not flushed: after a crash the file may hold fewer (or
// unflushed) bytes than the record says; a shorter file falls back to a full
// re-hash, and any bad byte fails verification, which deletes the file.

import {
  DownloadError,
  IntegrityError,
  QuotaError,
  SizeMismatchError,
  StorageUnavailableError,
  UnverifiableFileError,
  type VerificationSource,
} from './errors.js';
import type { HasherDigests, StreamingHasher } from './hash-pipeline.js';
import { openFile, type ResumeRecord, readJson, removeFile, resumeRecordPath } from './opfs.js';
import type { DownloadFileSpec, DownloadJob } from './protocol.js';
import { type Attempt, type AttemptOutcome, NoAnswerError, RetriableError, retrying } from './retrying.js';
import { parseContentRange, serverGitBlobSha1, serverSha256, strongEtag } from './server-hash.js';
import { JsonFileWriter, openSyncAccess, type SyncAccessHandle } from './sync-access.js';

/** What a file download tells its caller as it goes. */
export type FileUpdate =
  | { readonly status: 'downloading'; readonly doneBytes: number; readonly fileBytes: number; readonly resumedFrom: number; readonly force: boolean }
  | { readonly status: 'verifying'; readonly doneBytes: number; readonly fileBytes: number };

/** A stored, verified file. */
export interface FileResult {
  readonly bytes: number;
  readonly sha256: string;
  /** git's blob SHA-1, when the file was verified against one. */
  readonly gitBlobSha1: string | null;
  readonly verifiedBy: VerificationSource;
  /** Bytes that came over the network for it in this call. */
  readonly downloadedBytes: number;
}

/** What {@link downloadFile} needs. */
export interface FileDownloadContext {
  readonly modelDir: FileSystemDirectoryHandle;
  readonly spec: DownloadFileSpec;
  readonly job: DownloadJob;
  readonly signal: AbortSignal;
  readonly report: (update: FileUpdate) => void;
  /** Makes the file's hasher (in the hash worker when there is one). */
  readonly createHasher: () => Promise<StreamingHasher>;
}

const READ_BACK_BYTES = 8 * 1024 * 1024;
/** The longest the stream loop runs without letting other tasks (an abort) in. */
const YIELD_INTERVAL_MS = 50;

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The IntegrityError for digests that are not the record's expected ones, or null. */
function integrityMismatch(path: string, record: ResumeRecord, actual: HasherDigests): IntegrityError | null {
  if (record.expectedSha256 && actual.sha256 !== record.expectedSha256) {
    return new IntegrityError(path, record.expectedSha256, actual.sha256, record.verifiedBy);
  }
  const expected = record.expectedGitBlobSha1;
  if (expected && actual.gitBlobSha1 !== expected) {
    return new IntegrityError(path, expected, actual.gitBlobSha1 ?? 'none', record.verifiedBy, 'git-blob-sha1');
  }
  return null;
}

/** Feeds bytes [from, to) of the file to the hasher. */
async function hashStored(access: SyncAccessHandle, hasher: StreamingHasher, from: number, to: number): Promise<void> {
  for (let at = from; at < to; ) {
    const view = new Uint8Array(Math.min(READ_BACK_BYTES, to - at));
    const n = access.read(view, { at });
    if (n <= 0) throw new StorageUnavailableError(`short read at byte ${at}`);
    await hasher.update(view.subarray(0, n));
    at += n;
  }
}

/** Resolves after pending tasks (such as an incoming abort message) have run. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/** An answer worth streaming, and where it resumes. */
interface Opened {
  readonly response: Response;
  readonly resumedFrom: number;
}

/** One file's download: its open handles, hasher, resume record and offset. */
class FileDownload {
  record: ResumeRecord | null = null;
  offset = 0;
  downloaded = 0;
  /** Bumped by each restart, so a late checkpoint of older bytes is dropped. */
  generation = 0;
  lastReport = 0;
  lastYield = 0;
  /** Checkpoints are written as the hash worker catches up; this settles when all are written. */
  checkpoints: Promise<void> = Promise.resolve();
  checkpointError: unknown = null;
  readonly recordPath: string;

  constructor(
    readonly ctx: FileDownloadContext,
    readonly access: SyncAccessHandle,
    readonly records: JsonFileWriter,
    readonly hasher: StreamingHasher,
  ) {
    this.recordPath = resumeRecordPath(ctx.spec.path);
  }

  get complete(): boolean {
    return this.record !== null && this.offset === this.record.totalBytes;
  }

  restart(): void {
    this.access.truncate(0);
    this.hasher.reset();
    this.offset = 0;
    this.generation++;
  }

  /** Resume: keep the bytes on disk when the record vouches for them, re-hashing from its checkpoint. */
  async resume(): Promise<void> {
    const { modelDir, spec } = this.ctx;
    const record = await readJson<ResumeRecord>(modelDir, this.recordPath);
    this.record = record && record.url === spec.url ? record : null;
    this.offset = this.access.getSize();
    if (!this.record?.etag || this.offset > this.record.totalBytes) {
      if (this.offset > 0) this.restart();
      return;
    }
    if (this.offset === 0) return;
    const cp = this.record.checkpoint;
    const gitBlobSize = this.record.expectedGitBlobSha1 ? this.record.totalBytes : undefined;
    if (cp && cp.offset <= this.offset && (gitBlobSize === undefined || cp.gitBlobSha1State)) {
      const gitBlobSha1 = cp.gitBlobSha1State ? fromBase64(cp.gitBlobSha1State) : null;
      this.hasher.reset({ state: { sha256: fromBase64(cp.hasherState), gitBlobSha1 } });
      await hashStored(this.access, this.hasher, cp.offset, this.offset);
    } else {
      this.hasher.reset({ gitBlobSize });
      await hashStored(this.access, this.hasher, 0, this.offset);
    }
  }

  checkpoint(): void {
    const base = this.record;
    if (!base) return;
    const at = this.offset;
    const gen = this.generation;
    const state = this.hasher.save();
    this.checkpoints = this.checkpoints
      .then(async () => {
        const saved = await state;
        const gitBlobSha1State = saved.gitBlobSha1 ? toBase64(saved.gitBlobSha1) : null;
        if (gen === this.generation) await this.records.write({ ...base, checkpoint: { offset: at, hasherState: toBase64(saved.sha256), gitBlobSha1State } });
      })
      .catch((error: unknown) => {
        this.checkpointError ??= error;
      });
  }

  /** One attempt: open, then stream. */
  async attempt(attempt: Attempt): Promise<AttemptOutcome> {
    if (this.complete) return 'done';
    const opened = await this.open(attempt);
    if (opened === 'done' || opened === 'again') return opened;
    await this.stream(opened, attempt);
    return 'done';
  }

  /** Open: one request (ranged when resuming) and what its answer means. */
  async open(attempt: Attempt): Promise<Opened | AttemptOutcome> {
    const { spec, signal } = this.ctx;
    const headers: Record<string, string> = {};
    if (this.offset > 0 && this.record?.etag) {
      headers.Range = `bytes=${this.offset}-`;
      headers['If-Range'] = this.record.etag;
    } else if (this.offset > 0) this.restart();
    attempt.armStall();
    let response: Response;
    try {
      response = await fetch(spec.url, { headers, signal: attempt.signal, cache: 'no-store' });
    } catch (error) {
      throw signal.aborted ? signal.reason : new NoAnswerError(`fetch failed: ${(error as Error).message}`);
    }
    if (response.status === 416 && this.record && this.offset > 0) {
      await response.body?.cancel();
      if (this.complete) return 'done';
      this.restart();
      return 'again';
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      if (response.status >= 500) throw new RetriableError(`HTTP ${response.status}`);
      throw new DownloadError(spec.path, response.status, `HTTP ${response.status} ${response.statusText}`);
    }
    if (response.status === 206) return this.openPartial(response);
    await this.openWhole(response);
    return { response, resumedFrom: 0 };
  }

  /** A 206: the rest of the bytes we hold, unless the server's file is not the one we started. */
  async openPartial(response: Response): Promise<Opened | 'again'> {
    const range = parseContentRange(response.headers.get('Content-Range'));
    const tag = strongEtag(response.headers);
    const record = this.record;
    if (!record || !range || range.start !== this.offset || range.total !== record.totalBytes || (tag !== null && tag !== record.etag)) {
      await response.body?.cancel();
      this.restart(); // the server's bytes are not the ones we hold
      return 'again';
    }
    return { response, resumedFrom: this.offset };
  }

  /** A 200: the whole file from byte 0, with what to verify it against, in a new resume record. */
  async openWhole(response: Response): Promise<void> {
    const { spec } = this.ctx;
    if (this.offset > 0) this.restart(); // Range ignored or the ETag changed: start over cleanly
    const pinned = spec.sha256 !== null || spec.gitBlobSha1 !== null;
    const expectedSha256 = pinned ? spec.sha256 : serverSha256(response.headers);
    const expectedGitBlobSha1 = pinned ? spec.gitBlobSha1 : serverGitBlobSha1(response.headers);
    const refuse = async (error: Error): Promise<never> => {
      await response.body?.cancel();
      throw error;
    };
    if (!expectedSha256 && !expectedGitBlobSha1) await refuse(new UnverifiableFileError(spec.path, response.headers.get('ETag')));
    const length = Number(response.headers.get('Content-Length') ?? Number.NaN);
    const total = Number.isSafeInteger(length) ? length : spec.bytesEstimated ? Number.NaN : spec.bytes;
    if (!Number.isSafeInteger(total))
      await refuse(new DownloadError(spec.path, response.status, 'the server sent no Content-Length and the manifest size is an estimate'));
    if (!spec.bytesEstimated && total !== spec.bytes) await refuse(new SizeMismatchError(spec.path, spec.bytes, total));
    const verifiedBy: VerificationSource = pinned ? 'pinned' : 'server';
    // No byte is hashed yet (offset is 0): start the git blob hash, which needs the size first.
    this.hasher.reset({ gitBlobSize: expectedGitBlobSha1 ? total : undefined });
    this.record = { url: spec.url, etag: strongEtag(response.headers), expectedSha256, expectedGitBlobSha1, verifiedBy, totalBytes: total, checkpoint: null };
    await this.records.write(this.record);
  }

  /** Stream: bytes to disk and to the hasher, checkpoints, progress. */
  async stream({ response, resumedFrom }: Opened, attempt: Attempt): Promise<void> {
    const { job, signal } = this.ctx;
    const total = (this.record as ResumeRecord).totalBytes;
    const report = (force: boolean): void => this.ctx.report({ status: 'downloading', doneBytes: this.offset, fileBytes: total, resumedFrom, force });
    report(true);
    if (!response.body) throw new RetriableError('no response body');
    const reader = response.body.getReader();
    let sinceCheckpoint = 0;
    this.lastYield = performance.now();
    for (;;) {
      const chunk = await reader.read().catch((error: unknown) => {
        throw signal.aborted ? signal.reason : new RetriableError(`connection lost at byte ${this.offset}: ${(error as Error).message}`);
      });
      if (chunk.done) break;
      attempt.armStall();
      this.write(chunk.value, total);
      sinceCheckpoint += chunk.value.length;
      await this.hasher.update(chunk.value); // hands the chunk to the hash worker
      if (sinceCheckpoint >= job.checkpointBytes) {
        sinceCheckpoint = 0;
        this.checkpoint();
      }
      const now = performance.now();
      if (now - this.lastReport >= job.progressIntervalMs) {
        this.lastReport = now;
        report(false);
      }
      if (now - this.lastYield >= YIELD_INTERVAL_MS) {
        // When the body is already buffered (a busy CPU, a fast server), reads
        // resolve as microtasks and the message that carries an abort would
        // wait for the end of the file: let it in every few milliseconds.
        await yieldToEventLoop();
        this.lastYield = performance.now();
        signal.throwIfAborted();
      }
    }
    if (this.offset !== total) throw new RetriableError(`the response ended at byte ${this.offset} of ${total}`);
    report(true);
  }

  write(bytes: Uint8Array, total: number): void {
    if (this.offset + bytes.length > total) throw new RetriableError('the server sent more bytes than announced');
    const written = this.access.write(bytes, { at: this.offset });
    // Chromium reports a full quota on sync writes as a short write.
    if (written !== bytes.length) throw new QuotaError(total - this.offset, 0);
    this.offset += bytes.length;
    this.downloaded += bytes.length;
  }

  /** Verify: the digests against the record's expected ones; a mismatch deletes the file. */
  async verify(): Promise<FileResult> {
    const { modelDir, spec } = this.ctx;
    const record = this.record;
    if (!record) throw new DownloadError(spec.path, 0, 'no response');
    this.ctx.report({ status: 'verifying', doneBytes: this.offset, fileBytes: record.totalBytes });
    await this.checkpoints;
    if (this.checkpointError) throw this.checkpointError;
    const actual = await this.hasher.digest();
    this.access.flush();
    this.close();
    const mismatch = integrityMismatch(spec.path, record, actual);
    if (mismatch) {
      await removeFile(modelDir, spec.path);
      await removeFile(modelDir, this.recordPath);
      throw mismatch;
    }
    return {
      bytes: record.totalBytes,
      sha256: actual.sha256,
      gitBlobSha1: actual.gitBlobSha1,
      verifiedBy: record.verifiedBy,
      downloadedBytes: this.downloaded,
    };
  }

  #closed = false;
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.access.close();
    this.records.close();
  }
}

/**
 * Makes sure `spec.path` holds the verified file, resuming what earlier
 * attempts wrote. Throws IntegrityError (file deleted), UnverifiableFileError,
 * SizeMismatchError, DownloadError, or the signal's reason (partial file kept).
 */
export async function downloadFile(ctx: FileDownloadContext): Promise<FileResult> {
  const { modelDir, spec, job, signal } = ctx;
  const handle = await openFile(modelDir, spec.path, true);
  if (!handle) throw new StorageUnavailableError(`cannot create ${spec.path} in OPFS`);
  const access = await openSyncAccess(handle);
  const hasher = await ctx.createHasher();
  const file = new FileDownload(ctx, access, new JsonFileWriter(modelDir, resumeRecordPath(spec.path)), hasher);
  try {
    await file.resume();
    await retrying((attempt) => file.attempt(attempt), {
      path: spec.path,
      signal,
      maxRetries: job.maxRetries,
      stallTimeoutMs: job.stallTimeoutMs,
      onFailure: () => file.checkpoint(),
      onAbort: async () => {
        file.checkpoint();
        await file.checkpoints;
      },
    });
    return await file.verify();
  } finally {
    hasher.close();
    file.close();
  }
}
