// The download worker's API over the rpc module (ModelStore on the page,
// serveModelDownloads in the worker). Types only.

import type { DownloadProgress } from './events.js';

/** One file the worker should have stored and verified. */
export interface DownloadFileSpec {
  readonly path: string;
  /** Absolute URL to fetch. */
  readonly url: string;
  readonly bytes: number;
  readonly bytesEstimated: boolean;
  /** Pinned SHA-256, or `null`. */
  readonly sha256: string | null;
  /** Pinned git blob SHA-1, or `null`. With neither pinned, the file is verified against the server's announced hash. */
  readonly gitBlobSha1: string | null;
}

/** The work of one download request. */
export interface DownloadJob {
  readonly modelId: string;
  /** The OPFS directory (under the origin's root) that holds one folder per model. */
  readonly rootDirectory: string;
  readonly files: readonly DownloadFileSpec[];
  /** Bytes still to download, reserved before anything is written (see quota-probe.ts). */
  readonly neededBytes: number;
  /** Save the hasher state and flush every this many bytes. */
  readonly checkpointBytes: number;
  /** Network failures (cut connections, stalls) tolerated per file before giving up. */
  readonly maxRetries: number;
  /** A response that sends no bytes for this long counts as a network failure. */
  readonly stallTimeoutMs: number;
  /** Least milliseconds between two `downloading` events of a file. */
  readonly progressIntervalMs: number;
}

/** The download worker's one operation: store and verify every file of a job. */
export type DownloadApi = {
  download: { request: { readonly job: DownloadJob; readonly requestId: string }; result: null; progress: DownloadProgress };
};
