import type { Backend } from '../backend/types.js';
import { resolveFileUrl } from '../models/registry.js';
import type { ModelManifest } from '../models/types.js';
import { manifestFiles } from '../models/validate.js';
import { serializeError } from '../rpc/errors.js';
import { NotMirroredError } from './errors.js';
import type { DownloadProgress, ProgressBase } from './events.js';
import { type CachedModel, listCachedModels, type ModelStatus, modelStatus, openStoredFiles, type StoredModelFiles } from './inventory.js';
import { DEFAULT_ROOT_DIRECTORY, openRoot } from './opfs.js';
import type { DownloadJob } from './protocol.js';
import { assertQuota, estimateStorage, requestPersistenceInBackground } from './quota.js';
import { followOtherTabs, modelLockName, progressBroadcaster, withModelLock } from './tab-coordination.js';
import { runInWorker, type WorkerFactory } from './worker-client.js';

/** Options of {@link ModelStore}. */
export interface ModelStoreOptions {
  /**
   * A deployer's mirror root holding one folder per model id (for example
   * `/models/` on hybridgen's own server, or `https://cdn.example/models/`).
   * Default: each manifest's pinned `baseUrl`.
   */
  readonly mirrorRoot?: string;
  /** The OPFS folder of the store. Default `hybridgen-models`. */
  readonly rootDirectory?: string;
  /** Flush and save the hasher state every this many bytes. Default 8 MiB. */
  readonly checkpointBytes?: number;
  /** Network failures tolerated per file before a download fails. Default 8. */
  readonly maxRetries?: number;
  /** A response that sends nothing for this long is retried. Default 30 s. */
  readonly stallTimeoutMs?: number;
  /** Least milliseconds between two `downloading` events of a file. Default 100. */
  readonly progressIntervalMs?: number;
  /** Ask `navigator.storage.persist()` when downloading, never waiting for the answer (Firefox prompts). Default true. */
  readonly requestPersistence?: boolean;
  /**
   * Makes the download worker (a module that calls `serveModelDownloads(self, ...)`), e.g.
   * `() => new Worker(new URL('./download.worker.ts', import.meta.url), { type: 'module' })`.
   * Only a download that fetches bytes needs it: without it, that fails with a TypeError.
   */
  readonly workerFactory?: WorkerFactory;
}

/** Options of {@link ModelStore.download}. */
export interface DownloadOptions {
  /** The variant (backend) whose files to download. */
  readonly variant: Backend;
  /** Aborting keeps the partial file for a later resume; the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Every progress event, in order (`seq` increases by one). */
  readonly onProgress?: (event: DownloadProgress) => void;
  /** Set the request id (default: a random UUID). */
  readonly requestId?: string;
}

/** What {@link ModelStore.download} resolves to. */
export interface DownloadResult {
  readonly requestId: string;
  readonly modelId: string;
  readonly variant: Backend;
  /** `downloaded`: this call fetched bytes; `already-stored`: nothing was needed; `other-tab`: another tab downloaded it. */
  readonly source: 'downloaded' | 'already-stored' | 'other-tab';
  /** Whether the browser had granted persistent storage when the download ended (false when not asked or not answered yet). */
  readonly persisted: boolean;
}

/** The store's share of the origin's storage. */
export interface StoreUsage {
  /** Bytes of every model folder. */
  readonly modelBytes: number;
  /** The origin's usage and quota per `navigator.storage.estimate()`, or null. */
  readonly originUsageBytes: number | null;
  readonly originQuotaBytes: number | null;
}

/** Whether a manifest's baseUrl is on the app's own server (a path or relative), hence a mirror. */
function isOwnServerBase(baseUrl: string): boolean {
  return baseUrl.startsWith('./') || (baseUrl.startsWith('/') && !baseUrl.startsWith('//'));
}

/**
 * Keeps model files in OPFS: resumable, verified downloads with progress,
 * one tab downloading a model at a time, and the stored files for the engine.
 */
export class ModelStore {
  readonly #options: Required<Omit<ModelStoreOptions, 'mirrorRoot' | 'workerFactory'>> & {
    mirrorRoot: string | undefined;
    workerFactory: WorkerFactory | null;
  };

  constructor(options: ModelStoreOptions = {}) {
    this.#options = {
      mirrorRoot: options.mirrorRoot,
      rootDirectory: options.rootDirectory ?? DEFAULT_ROOT_DIRECTORY,
      checkpointBytes: options.checkpointBytes ?? 8 * 1024 * 1024,
      maxRetries: options.maxRetries ?? 8,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      progressIntervalMs: options.progressIntervalMs ?? 100,
      requestPersistence: options.requestPersistence ?? true,
      workerFactory: options.workerFactory ?? null,
    };
  }

  /** The URL each file of `manifest` is downloaded from. */
  fileUrl(manifest: ModelManifest, path: string): string {
    return resolveFileUrl(manifest, path, { mirrorRoot: this.#options.mirrorRoot, origin: globalThis.location?.href ?? 'http://localhost/' });
  }

  /**
   * Makes sure every file of the variant is stored and verified, downloading
   * what is missing. Rejects with QuotaError (before writing anything),
   * IntegrityError (the bad file deleted), UnverifiableFileError, NotMirroredError
   * (before anything is fetched: a converted file and no mirror),
   * SizeMismatchError, DownloadError, StorageUnavailableError, or the
   * signal's reason.
   */
  async download(manifest: ModelManifest, options: DownloadOptions): Promise<DownloadResult> {
    const requestId = options.requestId ?? crypto.randomUUID();
    options.signal?.throwIfAborted();
    const files = manifestFiles(manifest, options.variant);
    const converted = files.find((f) => f.source !== undefined);
    if (converted && !this.#options.mirrorRoot && !isOwnServerBase(manifest.baseUrl)) throw new NotMirroredError(converted.path);
    const totalBytes = files.reduce((a, f) => a + f.bytes, 0);
    const progress = new RequestProgress(requestId, manifest.id, totalBytes, options.onProgress);
    let stopFollowing: (() => void) | null = null;
    let waited = false;
    try {
      progress.emit({ ...progress.base(), status: 'queued', reason: 'starting' }, false);
      const onWaiting = (): void => {
        waited = true;
        progress.emit({ ...progress.base(), status: 'queued', reason: 'waiting-for-other-tab' }, false);
        stopFollowing = followOtherTabs(manifest.id, (event) => {
          if (event.status !== 'error' && !(event.status === 'done' && event.scope === 'model')) progress.emit(event, false);
        });
      };
      const lock = modelLockName(this.#options.rootDirectory, manifest.id);
      return await withModelLock(lock, { signal: options.signal, onWaiting }, () => {
        stopFollowing?.();
        return this.#downloadHoldingLock(manifest, options, progress, waited);
      });
    } catch (error) {
      progress.emit({ ...progress.base(), status: 'error', error: serializeError(error) }, true);
      throw error;
    } finally {
      (stopFollowing as (() => void) | null)?.();
      progress.close();
    }
  }

  /** The download's work once this tab holds the model's lock: nothing when stored (maybe by another tab), else the worker's job. */
  async #downloadHoldingLock(manifest: ModelManifest, options: DownloadOptions, progress: RequestProgress, waited: boolean): Promise<DownloadResult> {
    const { variant, signal } = options;
    const requestId = progress.requestId;
    const before = await modelStatus(this.#options.rootDirectory, manifest, variant);
    if (before.state === 'ready') {
      progress.complete(before.totalBytes);
      progress.emit({ ...progress.base(), fraction: 1, status: 'done', verifiedBy: null, downloadedBytes: 0 }, false);
      return { requestId, modelId: manifest.id, variant, source: waited ? 'other-tab' : 'already-stored', persisted: false };
    }
    const neededBytes = Math.max(0, before.totalBytes - before.storedBytes);
    await assertQuota(neededBytes);
    const persistence = this.#options.requestPersistence ? requestPersistenceInBackground() : null;
    const factory = this.#options.workerFactory;
    if (!factory) throw new TypeError('ModelStore: downloading needs the download worker (the workerFactory option)');
    await runInWorker(factory, this.#job(manifest, variant, neededBytes), {
      requestId,
      signal,
      onProgress: (event) => progress.emit(event, true),
      abortGraceMs: 5000,
      inactivityTimeoutMs: 2 * this.#options.stallTimeoutMs + 10_000,
    });
    return { requestId, modelId: manifest.id, variant, source: 'downloaded', persisted: persistence?.granted() ?? false };
  }

  /** The download worker's job for the variant's files. */
  #job(manifest: ModelManifest, variant: Backend, neededBytes: number): DownloadJob {
    return {
      modelId: manifest.id,
      rootDirectory: this.#options.rootDirectory,
      files: manifestFiles(manifest, variant).map((f) => ({
        path: f.path,
        url: this.fileUrl(manifest, f.path),
        bytes: f.bytes,
        bytesEstimated: f.bytesEstimated ?? false,
        sha256: f.sha256,
        gitBlobSha1: f.gitBlobSha1 ?? null,
      })),
      neededBytes,
      checkpointBytes: this.#options.checkpointBytes,
      maxRetries: this.#options.maxRetries,
      stallTimeoutMs: this.#options.stallTimeoutMs,
      progressIntervalMs: this.#options.progressIntervalMs,
    };
  }

  /** How much of the variant is stored. */
  status(manifest: ModelManifest, variant: Backend): Promise<ModelStatus> {
    return modelStatus(this.#options.rootDirectory, manifest, variant);
  }

  /** The verified files of a ready variant as OPFS Files (never read into one buffer); throws ModelNotReadyError. */
  openFiles(manifest: ModelManifest, variant: Backend): Promise<StoredModelFiles> {
    return openStoredFiles(this.#options.rootDirectory, manifest, variant);
  }

  /** Every model folder in the store, with sizes. */
  list(): Promise<CachedModel[]> {
    return listCachedModels(this.#options.rootDirectory);
  }

  /** Deletes a model's folder, waiting for a download of it (in any tab) to end first. */
  async delete(modelId: string, options: { readonly signal?: AbortSignal } = {}): Promise<void> {
    await withModelLock(modelLockName(this.#options.rootDirectory, modelId), { signal: options.signal, onWaiting: () => {} }, async () => {
      const root = await openRoot(this.#options.rootDirectory, { create: false });
      try {
        await root?.removeEntry(modelId, { recursive: true });
      } catch (error) {
        if (!(error instanceof DOMException && error.name === 'NotFoundError')) throw error;
      }
    });
  }

  /** Bytes used by stored models and by the whole origin. */
  async usage(): Promise<StoreUsage> {
    const [models, estimate] = await Promise.all([this.list(), estimateStorage()]);
    return {
      modelBytes: models.reduce((a, m) => a + m.bytes, 0),
      originUsageBytes: estimate?.usageBytes ?? null,
      originQuotaBytes: estimate?.quotaBytes ?? null,
    };
  }
}

/** One download request's events: numbered, stamped with its id (unless from another tab), sent to other tabs when asked. */
class RequestProgress {
  #seq = 0;
  #last: { doneBytes: number; totalBytes: number };
  readonly #broadcaster = progressBroadcaster();

  constructor(
    readonly requestId: string,
    private readonly modelId: string,
    totalBytes: number,
    private readonly onProgress: ((event: DownloadProgress) => void) | undefined,
  ) {
    this.#last = { doneBytes: 0, totalBytes };
  }

  emit(event: DownloadProgress, broadcast: boolean): void {
    const stamped = { ...event, requestId: event.fromOtherTab ? event.requestId : this.requestId, seq: ++this.#seq };
    this.#last = { doneBytes: stamped.doneBytes, totalBytes: stamped.totalBytes };
    if (broadcast) this.#broadcaster.send(stamped);
    this.onProgress?.(stamped);
  }

  /** The model is all there: the next events say so. */
  complete(totalBytes: number): void {
    this.#last = { doneBytes: totalBytes, totalBytes };
  }

  /** A model-scope event's common fields, from the last event's byte counts. */
  base(): ProgressBase {
    const { doneBytes, totalBytes } = this.#last;
    return {
      requestId: this.requestId,
      modelId: this.modelId,
      scope: 'model',
      file: null,
      totalBytes,
      doneBytes,
      fraction: totalBytes > 0 ? doneBytes / totalBytes : 0,
      bytesPerSecond: 0,
      etaSeconds: null,
      fromOtherTab: false,
      at: performance.timeOrigin + performance.now(),
      seq: 0,
    };
  }

  close(): void {
    this.#broadcaster.close();
  }
}
