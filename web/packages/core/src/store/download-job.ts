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
  const root = await openRoot(job.rootDirectory, { create: true });
  const modelDir = root && (await openDirectory(root, [job.modelId], true));
  if (!modelDir) throw new StorageUnavailableError('cannot open the model folder in OPFS');
  let completion: CompletionRecord = await readCompletion(modelDir, job.modelId);

  const fileBytes = new Map<string, number>();
  const doneBytes = new Map<string, number>();
  const pending: DownloadFileSpec[] = [];
  for (const spec of job.files) {
    const entry = completion.files[spec.path];
    const onDisk = await fileSize(modelDir, spec.path);
    if (entry && entry.bytes === onDisk) {
      fileBytes.set(spec.path, entry.bytes);
      doneBytes.set(spec.path, entry.bytes);
      continue;
    }
    if (entry) {
      // Listed but not what was verified: unlist it before touching its bytes.
      const files = { ...completion.files };
      delete files[spec.path];
      completion = { ...completion, files };
      await writeJsonSync(modelDir, COMPLETION_FILE, completion);
    }
    fileBytes.set(spec.path, spec.bytes);
    doneBytes.set(spec.path, Math.min(onDisk, spec.bytes));
    pending.push(spec);
  }

  const meter = new RateMeter();
  let networkBytes = 0;
  const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
  const make = (scope: 'file' | 'model', spec: DownloadFileSpec | null, extra: Extra): DownloadProgress => {
    const totalBytes = sum(fileBytes);
    const done = sum(doneBytes);
    const speed = meter.bytesPerSecond();
    const base: ProgressBase = {
      requestId,
      modelId: job.modelId,
      scope,
      file: spec ? { path: spec.path, bytes: fileBytes.get(spec.path) ?? spec.bytes, doneBytes: doneBytes.get(spec.path) ?? 0 } : null,
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
  };

  for (const spec of pending) {
    let lastDone = doneBytes.get(spec.path) ?? 0;
    const report = (update: FileUpdate): void => {
      fileBytes.set(spec.path, update.fileBytes);
      if (update.status === 'downloading') {
        networkBytes += Math.max(0, update.doneBytes - lastDone);
        lastDone = update.doneBytes;
      }
      doneBytes.set(spec.path, update.doneBytes);
      meter.add(performance.now(), networkBytes);
      post(make('file', spec, update.status === 'downloading' ? { status: 'downloading', resumedFrom: update.resumedFrom } : { status: 'verifying' }));
    };
    const result = await downloadFile({ modelDir, spec, job, signal, report, createHasher });
    completion = {
      ...completion,
      files: {
        ...completion.files,
        [spec.path]: {
          bytes: result.bytes,
          sha256: result.sha256,
          gitBlobSha1: result.gitBlobSha1,
          verifiedBy: result.verifiedBy,
          completedAt: new Date().toISOString(),
        },
      },
    };
    await writeJsonSync(modelDir, COMPLETION_FILE, completion);
    await removeFile(modelDir, resumeRecordPath(spec.path));
    fileBytes.set(spec.path, result.bytes);
    doneBytes.set(spec.path, result.bytes);
    post(make('file', spec, { status: 'done', verifiedBy: result.verifiedBy, downloadedBytes: result.downloadedBytes }));
  }
  post(make('model', null, { status: 'done', verifiedBy: null, downloadedBytes: networkBytes }));
}
