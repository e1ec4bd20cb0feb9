// Every error the model store reports. Each has a stable `name` so it keeps
// its class across the worker boundary (the rpc module's registry,
// STORE_ERRORS).

import { registerErrors } from '../rpc/errors.js';
import { formatBytes } from '../util/bytes.js';

/** Base class of the model store's errors. */
export class ModelStoreError extends Error {
  override readonly name: string = 'ModelStoreError';
}

/** Not enough storage quota for the download; raised before anything is written. */
export class QuotaError extends ModelStoreError {
  override readonly name = 'QuotaError';
  /** Bytes the download still needs. */
  readonly neededBytes: number;
  /** Bytes the origin may still use (quota minus usage). */
  readonly availableBytes: number;
  constructor(neededBytes: number, availableBytes: number) {
    const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
    super(`not enough storage for the model: ${mb(neededBytes)} needed, ${mb(availableBytes)} available (${formatBytes(neededBytes - availableBytes)} short)`);
    this.neededBytes = neededBytes;
    this.availableBytes = availableBytes;
  }
}

/** Which hash an {@link IntegrityError} is about. */
export type IntegrityAlgorithm = 'sha256' | 'git-blob-sha1';

/** A downloaded file whose hash is not the expected one; the file was deleted. */
export class IntegrityError extends ModelStoreError {
  override readonly name = 'IntegrityError';
  readonly path: string;
  /** The expected digest (of {@link IntegrityError.algorithm}). */
  readonly expectedSha256: string;
  /** The actual digest (of {@link IntegrityError.algorithm}). */
  readonly actualSha256: string;
  /** Where the expected hash came from. */
  readonly expectedFrom: VerificationSource;
  readonly algorithm: IntegrityAlgorithm;
  constructor(path: string, expected: string, actual: string, expectedFrom: VerificationSource, algorithm: IntegrityAlgorithm = 'sha256') {
    const what = algorithm === 'sha256' ? 'SHA-256' : 'git blob SHA-1';
    super(
      `${path} is corrupt: ${what} ${actual} but ${expectedFrom === 'pinned' ? 'the manifest pins' : 'the server announced'} ${expected}; the file was deleted`,
    );
    this.path = path;
    this.expectedSha256 = expected;
    this.actualSha256 = actual;
    this.expectedFrom = expectedFrom;
    this.algorithm = algorithm;
  }
}

/** The manifest pins no hash and the server sent no SHA-256 ETag, so the file cannot be verified. */
export class UnverifiableFileError extends ModelStoreError {
  override readonly name = 'UnverifiableFileError';
  readonly path: string;
  constructor(path: string, etag: string | null) {
    super(`${path} cannot be verified: the manifest pins no hash and the server's ETag (${etag ?? 'none'}) is neither a SHA-256 nor a git blob SHA-1`);
    this.path = path;
  }
}

/** The server's size for a file is not the manifest's exact size. */
export class SizeMismatchError extends ModelStoreError {
  override readonly name = 'SizeMismatchError';
  readonly path: string;
  constructor(path: string, expected: number, actual: number) {
    super(`${path}: the server has ${actual} bytes, the manifest says ${expected}`);
    this.path = path;
  }
}

/** An HTTP answer the store cannot use (404, 500, ...), or the network failed more often than allowed. */
export class DownloadError extends ModelStoreError {
  override readonly name = 'DownloadError';
  readonly path: string;
  /** The HTTP status, or 0 for a network failure. */
  readonly status: number;
  /** No answer at all came from the server (refused, no route, offline): retrying soon is pointless. */
  readonly unreachable: boolean;
  constructor(path: string, status: number, detail: string, options: { readonly unreachable?: boolean } = {}) {
    super(`${path}: ${detail}`);
    this.path = path;
    this.status = status;
    this.unreachable = options.unreachable ?? false;
  }
}

/** OPFS or `createSyncAccessHandle` is missing or failed. */
export class StorageUnavailableError extends ModelStoreError {
  override readonly name = 'StorageUnavailableError';
}

/** The model's files are not all downloaded and verified. */
export class ModelNotReadyError extends ModelStoreError {
  override readonly name = 'ModelNotReadyError';
  readonly modelId: string;
  readonly missing: readonly string[];
  constructor(modelId: string, missing: readonly string[]) {
    super(`model ${modelId} is not ready: ${missing.length} file(s) missing or unverified (${missing.join(', ')})`);
    this.modelId = modelId;
    this.missing = missing;
  }
}

/**
 * A file that `hybridgen models pull` makes from its `source` (such as the
 * tiny decoder converted from TAESD's weights) is not at the manifest's
 * upstream `baseUrl`: only a model mirror serves it. Raised before anything
 * is downloaded when the store has no `mirrorRoot` and the baseUrl is not on
 * the app's own server.
 */
export class NotMirroredError extends ModelStoreError {
  override readonly name = 'NotMirroredError';
  readonly path: string;
  constructor(path: string) {
    super(`${path} is made by \`hybridgen models pull\` from its source, so only a model mirror serves it: download through a mirror (the store's mirrorRoot)`);
    this.path = path;
  }
}

/** How a file's expected hash was known. */
export type VerificationSource = 'pinned' | 'server';

/** Every model store error class, by name, for the rpc module's registry. */
export const STORE_ERRORS = {
  ModelStoreError,
  QuotaError,
  IntegrityError,
  UnverifiableFileError,
  SizeMismatchError,
  DownloadError,
  StorageUnavailableError,
  ModelNotReadyError,
  NotMirroredError,
} as const;

registerErrors(STORE_ERRORS);
