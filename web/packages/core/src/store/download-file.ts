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
// Checkpoints are not flushed: after a crash the file may hold fewer (or
// unflushed) bytes than the record says; a shorter file falls back to a full
// re-hash, and any bad byte fails verification, which deletes the file.

import {
  DownloadError,
  IntegrityError,
  ModelStoreError,
  QuotaError,
  SizeMismatchError,
  StorageUnavailableError,
  UnverifiableFileError,
  type VerificationSource,
} from './errors.js';
import { createStreamingHasher, type HasherDigests, type StreamingHasher } from './hash-pipeline.js';
import { openFile, type ResumeRecord, readJson, removeFile, resumeRecordPath } from './opfs.js';
import type { DownloadFileSpec, DownloadJob } from './protocol.js';
import { parseContentRange, serverGitBlobSha1, serverSha256, strongEtag } from './server-hash.js';
import { openSyncAccess, type SyncAccessHandle } from './sync-access.js';

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
}

const READ_BACK_BYTES = 8 * 1024 * 1024;

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

/** Keeps the resume record's file open and rewrites it in place. */
class RecordWriter {
  #access: SyncAccessHandle | null = null;
  readonly #dir: FileSystemDirectoryHandle;
  readonly #path: string;
  constructor(dir: FileSystemDirectoryHandle, path: string) {
    this.#dir = dir;
    this.#path = path;
  }
  async write(record: ResumeRecord): Promise<void> {
    if (!this.#access) {
      const handle = await openFile(this.#dir, this.#path, true);
      if (!handle) throw new StorageUnavailableError(`cannot create ${this.#path}`);
      this.#access = await openSyncAccess(handle);
    }
    const bytes = new TextEncoder().encode(JSON.stringify(record));
    this.#access.truncate(0);
    this.#access.write(bytes, { at: 0 });
  }
  close(): void {
    this.#access?.flush();
    this.#access?.close();
    this.#access = null;
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

/** A network-level failure worth retrying. */
class RetriableError extends Error {
  override readonly name = 'RetriableError';
}

/** `fetch` itself failed: no HTTP answer at all (connection refused, offline, no route). */
class NoAnswerError extends RetriableError {}

/**
 * Tries without any answer from the server before a download gives up: a server that never
 * answered is unreachable, not flaky, and the caller should fall back at once rather than after
 * the full back-off.
 */
export const UNREACHABLE_ATTEMPTS = 2;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort(): void {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
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
  const recordPath = resumeRecordPath(spec.path);
  const access = await openSyncAccess(handle);
  const records = new RecordWriter(modelDir, recordPath);
  const hasher = await createStreamingHasher();
  let open = true;
  try {
    let record = await readJson<ResumeRecord>(modelDir, recordPath);
    if (record && record.url !== spec.url) record = null;
    let offset = access.getSize();
    let generation = 0;
    const restart = (): void => {
      access.truncate(0);
      hasher.reset();
      offset = 0;
      generation++;
    };
    if (!record?.etag || offset > record.totalBytes) {
      if (offset > 0) restart();
    } else if (offset > 0) {
      const cp = record.checkpoint;
      const gitBlobSize = record.expectedGitBlobSha1 ? record.totalBytes : undefined;
      if (cp && cp.offset <= offset && (gitBlobSize === undefined || cp.gitBlobSha1State)) {
        const gitBlobSha1 = cp.gitBlobSha1State ? fromBase64(cp.gitBlobSha1State) : null;
        hasher.reset({ state: { sha256: fromBase64(cp.hasherState), gitBlobSha1 } });
        await hashStored(access, hasher, cp.offset, offset);
      } else {
        hasher.reset({ gitBlobSize });
        await hashStored(access, hasher, 0, offset);
      }
    }
    // Checkpoints are written as the hash worker catches up, without
    // stalling the download; `checkpoints` settles when all are written.
    let checkpoints: Promise<void> = Promise.resolve();
    let checkpointError: unknown = null;
    const checkpoint = (): void => {
      const base = record;
      if (!base) return;
      const at = offset;
      const gen = generation;
      const state = hasher.save();
      checkpoints = checkpoints
        .then(async () => {
          const saved = await state;
          const gitBlobSha1State = saved.gitBlobSha1 ? toBase64(saved.gitBlobSha1) : null;
          if (gen === generation) await records.write({ ...base, checkpoint: { offset: at, hasherState: toBase64(saved.sha256), gitBlobSha1State } });
        })
        .catch((error: unknown) => {
          checkpointError ??= error;
        });
    };

    let downloaded = 0;
    let failures = 0;
    let answered = false;
    let lastReport = 0;
    while (!(record && offset === record.totalBytes)) {
      signal.throwIfAborted();
      const attempt = new AbortController();
      const onAbort = (): void => attempt.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let stall: ReturnType<typeof setTimeout> | undefined;
      const armStall = (): void => {
        clearTimeout(stall);
        stall = setTimeout(() => attempt.abort(new RetriableError(`no bytes for ${job.stallTimeoutMs} ms`)), job.stallTimeoutMs);
      };
      try {
        const headers: Record<string, string> = {};
        if (offset > 0 && record?.etag) {
          headers.Range = `bytes=${offset}-`;
          headers['If-Range'] = record.etag;
        } else if (offset > 0) {
          restart();
        }
        armStall();
        let response: Response;
        try {
          response = await fetch(spec.url, { headers, signal: attempt.signal, cache: 'no-store' });
        } catch (error) {
          throw signal.aborted ? signal.reason : new NoAnswerError(`fetch failed: ${(error as Error).message}`);
        }
        answered = true;
        if (response.status === 416 && record && offset > 0) {
          await response.body?.cancel();
          if (offset === record.totalBytes) break;
          restart();
          continue;
        }
        if (response.status !== 200 && response.status !== 206) {
          await response.body?.cancel();
          if (response.status >= 500) throw new RetriableError(`HTTP ${response.status}`);
          throw new DownloadError(spec.path, response.status, `HTTP ${response.status} ${response.statusText}`);
        }
        const resumedFrom = response.status === 206 ? offset : 0;
        if (response.status === 206) {
          const range = parseContentRange(response.headers.get('Content-Range'));
          const tag = strongEtag(response.headers);
          if (!record || !range || range.start !== offset || range.total !== record.totalBytes || (tag !== null && tag !== record.etag)) {
            await response.body?.cancel();
            restart(); // the server's bytes are not the ones we hold
            continue;
          }
        } else {
          if (offset > 0) restart(); // Range ignored or the ETag changed: start over cleanly
          const pinned = spec.sha256 !== null || spec.gitBlobSha1 !== null;
          const expectedSha256 = pinned ? spec.sha256 : serverSha256(response.headers);
          const expectedGitBlobSha1 = pinned ? spec.gitBlobSha1 : serverGitBlobSha1(response.headers);
          if (!expectedSha256 && !expectedGitBlobSha1) {
            await response.body?.cancel();
            throw new UnverifiableFileError(spec.path, response.headers.get('ETag'));
          }
          const length = Number(response.headers.get('Content-Length') ?? Number.NaN);
          const total = Number.isSafeInteger(length) ? length : spec.bytesEstimated ? Number.NaN : spec.bytes;
          if (!Number.isSafeInteger(total)) {
            await response.body?.cancel();
            throw new DownloadError(spec.path, response.status, 'the server sent no Content-Length and the manifest size is an estimate');
          }
          if (!spec.bytesEstimated && total !== spec.bytes) {
            await response.body?.cancel();
            throw new SizeMismatchError(spec.path, spec.bytes, total);
          }
          const verifiedBy: VerificationSource = pinned ? 'pinned' : 'server';
          // No byte is hashed yet (offset is 0): start the git blob hash, which needs the size first.
          hasher.reset({ gitBlobSize: expectedGitBlobSha1 ? total : undefined });
          record = { url: spec.url, etag: strongEtag(response.headers), expectedSha256, expectedGitBlobSha1, verifiedBy, totalBytes: total, checkpoint: null };
          await records.write(record);
        }
        const total = record.totalBytes;
        ctx.report({ status: 'downloading', doneBytes: offset, fileBytes: total, resumedFrom, force: true });
        if (!response.body) throw new RetriableError('no response body');
        const reader = response.body.getReader();
        let sinceCheckpoint = 0;
        for (;;) {
          let chunk: ReadableStreamReadResult<Uint8Array>;
          try {
            chunk = await reader.read();
          } catch (error) {
            throw signal.aborted ? signal.reason : new RetriableError(`connection lost at byte ${offset}: ${(error as Error).message}`);
          }
          if (chunk.done) break;
          armStall();
          const bytes = chunk.value;
          if (offset + bytes.length > total) throw new RetriableError('the server sent more bytes than announced');
          const written = access.write(bytes, { at: offset });
          if (written !== bytes.length) {
            // Chromium reports a full quota on sync writes as a short write.
            throw new QuotaError(total - offset, 0);
          }
          offset += bytes.length;
          downloaded += bytes.length;
          sinceCheckpoint += bytes.length;
          await hasher.update(bytes); // hands the chunk to the hash worker
          if (sinceCheckpoint >= job.checkpointBytes) {
            sinceCheckpoint = 0;
            checkpoint();
            // Buffered chunks resolve as microtasks and would starve the
            // message that carries an abort: let it in once per checkpoint.
            await yieldToEventLoop();
            if (signal.aborted) throw signal.reason;
          }
          const now = performance.now();
          if (now - lastReport >= job.progressIntervalMs) {
            lastReport = now;
            ctx.report({ status: 'downloading', doneBytes: offset, fileBytes: total, resumedFrom, force: false });
          }
        }
        if (offset !== total) throw new RetriableError(`the response ended at byte ${offset} of ${total}`);
        ctx.report({ status: 'downloading', doneBytes: offset, fileBytes: total, resumedFrom, force: true });
      } catch (error) {
        if (signal.aborted) {
          checkpoint();
          await checkpoints;
          throw signal.reason;
        }
        const retriable = error instanceof RetriableError || (attempt.signal.aborted && attempt.signal.reason instanceof RetriableError);
        if (!retriable || error instanceof ModelStoreError) throw error;
        failures++;
        if (!answered && error instanceof NoAnswerError && failures >= UNREACHABLE_ATTEMPTS) {
          throw new DownloadError(spec.path, 0, 'the model server cannot be reached', { unreachable: true });
        }
        if (failures > job.maxRetries) throw new DownloadError(spec.path, 0, `gave up after ${failures} network failures: ${(error as Error).message}`);
        checkpoint();
        await sleep(Math.min(3000, 100 * 2 ** (failures - 1)), signal);
      } finally {
        clearTimeout(stall);
        signal.removeEventListener('abort', onAbort);
      }
    }

    if (!record) throw new DownloadError(spec.path, 0, 'no response');
    ctx.report({ status: 'verifying', doneBytes: offset, fileBytes: record.totalBytes });
    await checkpoints;
    if (checkpointError) throw checkpointError;
    const actual = await hasher.digest();
    access.flush();
    access.close();
    records.close();
    open = false;
    const mismatch = integrityMismatch(spec.path, record, actual);
    if (mismatch) {
      await removeFile(modelDir, spec.path);
      await removeFile(modelDir, recordPath);
      throw mismatch;
    }
    return { bytes: record.totalBytes, sha256: actual.sha256, gitBlobSha1: actual.gitBlobSha1, verifiedBy: record.verifiedBy, downloadedBytes: downloaded };
  } finally {
    hasher.close();
    if (open) {
      access.close();
      records.close();
    }
  }
}
