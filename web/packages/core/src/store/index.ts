/**
 * The model store: resumable, verified, persistent model downloads in OPFS.
 *
 * @packageDocumentation
 */

export { type ModelDownloadsOptions, serveModelDownloads } from './download-host.js';
export type { VerificationSource } from './errors.js';
export {
  DownloadError,
  IntegrityError,
  ModelNotReadyError,
  ModelStoreError,
  NotMirroredError,
  QuotaError,
  SizeMismatchError,
  STORE_ERRORS,
  StorageUnavailableError,
  UnverifiableFileError,
} from './errors.js';
export type { DownloadProgress, DownloadStatus, FileProgress, ProgressBase } from './events.js';
export { verificationLabel } from './events.js';
export { type HashApi, serveHasher } from './hash-pipeline.js';
export type { CachedModel, ModelStatus, StoredFile, StoredModelFiles } from './inventory.js';
export type { DownloadOptions, DownloadResult, ModelStoreOptions, StoreUsage } from './model-store.js';
export { ModelStore } from './model-store.js';
export type { CompletedFile, CompletionRecord } from './opfs.js';
export { DEFAULT_ROOT_DIRECTORY } from './opfs.js';
export type { DownloadApi } from './protocol.js';
export type { WorkerFactory } from './worker-client.js';
