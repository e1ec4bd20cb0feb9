// Runs one download request in the worker: every file of the variant, then
// the completion record, with progress events for each step.

import { downloadFile, type FileUpdate } from './download-file.js';
import { StorageUnavailableError, type VerificationSource } from './errors.js';
import type { DownloadProgress, ProgressBase } from './events.js';
import type { StreamingHasher } from './hash-pipeline.js';
import { COMPLETION_FILE, type CompletionRecord, fileSize, openDirectory, openRoot, readCompletion, removeFile, resumeRecordPath } from './opfs.js';
import type { DownloadFileSpec, DownloadJob } from './protocol.js';
import { reserveQuota } from './quota-probe.js';
import { RateMeter } from './rate-meter.js';
import { writeJsonSync } from './sync-access.js';

type Extra =
  | { readonly status: 'downloading'; readonly resumedFrom: number }
  | { readonly status: 'verifying' }
  | { readonly status: 'done'; readonly verifiedBy: VerificationSource | null; readonly downloadedBytes: number };

/** What {@link runDownloadJob} runs with. */
export interface DownloadJobContext {
  readonly signal: AbortSignal;
  readonly post: (event: DownloadProgress) => void;
  /** A hasher for each file (in the hash worker when one is given). */
  readonly createHasher: () => Promise<StreamingHasher>;
}

/** Downloads and verifies every file of `job`, posting progress through `post`. */
export async function runDownloadJob(job: DownloadJob, requestId: string, { signal, post, createHasher }: DownloadJobContext): Promise<void> {
  await reserveQuota(job.neededBytes);
  const modelDir = await openModelDirectory(job);
  const progress = new JobProgress(requestId, job.modelId);
  const plan = await planFiles(modelDir, job, progress);
  let completion = plan.completion;
  for (const spec of plan.pending) {
    const report = progress.fileReporter(spec, post);
    const result = await downloadFile({ modelDir, spec, job, signal, report, createHasher });
    completion = withVerifiedFile(completion, spec, result);
    await writeJsonSync(modelDir, COMPLETION_FILE, completion);
    await removeFile(modelDir, resumeRecordPath(spec.path));
    progress.settle(spec.path, result.bytes);
    post(progress.event('file', spec, { status: 'done', verifiedBy: result.verifiedBy, downloadedBytes: result.downloadedBytes }));
  }
  post(progress.event('model', null, { status: 'done', verifiedBy: null, downloadedBytes: progress.networkBytes }));
}

async function openModelDirectory(job: DownloadJob): Promise<FileSystemDirectoryHandle> {
  const root = await openRoot(job.rootDirectory, { create: true });
  const modelDir = root && (await openDirectory(root, [job.modelId], true));
  if (!modelDir) throw new StorageUnavailableError('cannot open the model folder in OPFS');
  return modelDir;
}

/**
 * The files still to download: a file listed as verified whose size on disk matches is done; one
 * listed but changed is unlisted (before its bytes are touched) and downloaded again, resuming
 * from what is on disk.
 */
async function planFiles(
  modelDir: FileSystemDirectoryHandle,
  job: DownloadJob,
  progress: JobProgress,
): Promise<{ completion: CompletionRecord; pending: DownloadFileSpec[] }> {
  let completion: CompletionRecord = await readCompletion(modelDir, job.modelId);
  const pending: DownloadFileSpec[] = [];
  for (const spec of job.files) {
    const entry = completion.files[spec.path];
    const onDisk = await fileSize(modelDir, spec.path);
    if (entry && entry.bytes === onDisk) {
      progress.settle(spec.path, entry.bytes);
      continue;
    }
    if (entry) {
      const files = { ...completion.files };
      delete files[spec.path];
      completion = { ...completion, files };
      await writeJsonSync(modelDir, COMPLETION_FILE, completion);
    }
    progress.start(spec.path, spec.bytes, Math.min(onDisk, spec.bytes));
    pending.push(spec);
  }
  return { completion, pending };
}

/** The completion record with `spec`'s file listed as verified. */
function withVerifiedFile(completion: CompletionRecord, spec: DownloadFileSpec, result: Awaited<ReturnType<typeof downloadFile>>): CompletionRecord {
  const entry = {
    bytes: result.bytes,
    sha256: result.sha256,
    gitBlobSha1: result.gitBlobSha1,
    verifiedBy: result.verifiedBy,
    completedAt: new Date().toISOString(),
  };
  return { ...completion, files: { ...completion.files, [spec.path]: entry } };
}

/** Bytes per file (total and done), bytes from the network and their rate: one job's progress events. */
class JobProgress {
  readonly #fileBytes = new Map<string, number>();
  readonly #doneBytes = new Map<string, number>();
  readonly #meter = new RateMeter();
  networkBytes = 0;

  constructor(
    private readonly requestId: string,
    private readonly modelId: string,
  ) {}

  /** A file to download: its size and what is on disk already. */
  start(path: string, bytes: number, done: number): void {
    this.#fileBytes.set(path, bytes);
    this.#doneBytes.set(path, done);
  }

  /** A file that is complete. */
  settle(path: string, bytes: number): void {
    this.start(path, bytes, bytes);
  }

  /** The `report` for downloadFile: counts network bytes and posts each update. */
  fileReporter(spec: DownloadFileSpec, post: (event: DownloadProgress) => void): (update: FileUpdate) => void {
    let lastDone = this.#doneBytes.get(spec.path) ?? 0;
    return (update) => {
      this.#fileBytes.set(spec.path, update.fileBytes);
      if (update.status === 'downloading') {
        this.networkBytes += Math.max(0, update.doneBytes - lastDone);
        lastDone = update.doneBytes;
      }
      this.#doneBytes.set(spec.path, update.doneBytes);
      this.#meter.add(performance.now(), this.networkBytes);
      post(this.event('file', spec, update.status === 'downloading' ? { status: 'downloading', resumedFrom: update.resumedFrom } : { status: 'verifying' }));
    };
  }

  /** One progress event, for a file or for the whole model. */
  event(scope: 'file' | 'model', spec: DownloadFileSpec | null, extra: Extra): DownloadProgress {
    const totalBytes = sum(this.#fileBytes);
    const done = sum(this.#doneBytes);
    const speed = this.#meter.bytesPerSecond();
    const base: ProgressBase = {
      requestId: this.requestId,
      modelId: this.modelId,
      scope,
      file: spec ? { path: spec.path, bytes: this.#fileBytes.get(spec.path) ?? spec.bytes, doneBytes: this.#doneBytes.get(spec.path) ?? 0 } : null,
      totalBytes,
      doneBytes: done,
      fraction: totalBytes > 0 ? done / totalBytes : 1,
      bytesPerSecond: speed,
      etaSeconds: speed > 0 ? (totalBytes - done) / speed : null,
      fromOtherTab: false,
      at: performance.timeOrigin + performance.now(),
      seq: 0,
    };
    return { ...base, ...extra };
  }
}

const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
