// The messages between ModelStore (page) and its download worker. Types only.

import type { SerializedError } from './errors.js';
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

/** Page to worker. */
export type WorkerRequest =
  | { readonly type: 'download'; readonly requestId: string; readonly job: DownloadJob }
  | { readonly type: 'abort'; readonly requestId: string; readonly reason: SerializedError };

/** Worker to page. Progress events carry `seq: 0`; the page numbers them. */
export type WorkerReply =
  | { readonly type: 'progress'; readonly requestId: string; readonly event: DownloadProgress }
  | { readonly type: 'done'; readonly requestId: string }
  | { readonly type: 'failed'; readonly requestId: string; readonly error: SerializedError };
