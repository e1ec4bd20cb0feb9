import type { SerializedError } from '../rpc/errors.js';
import type { VerificationSource } from './errors.js';

/** Where a progress event stands. */
export type DownloadStatus = 'queued' | 'downloading' | 'verifying' | 'done' | 'error';

/** The file an event is about. */
export interface FileProgress {
  readonly path: string;
  /** The file's size: the server's when known, else the manifest's. */
  readonly bytes: number;
  /** Bytes of it stored so far. */
  readonly doneBytes: number;
}

/** Fields every progress event has. */
export interface ProgressBase {
  /** The id of the download request that caused the work (the other tab's when {@link ProgressBase.fromOtherTab}). */
  readonly requestId: string;
  readonly modelId: string;
  /** `file` events are about {@link ProgressBase.file}; `model` events about the whole download. */
  readonly scope: 'file' | 'model';
  /** The file, for `file` events; `null` for `model` events. */
  readonly file: FileProgress | null;
  /**
   * Bytes of every file of the variant. Constant, except that a file whose manifest size is an
   * estimate (`bytesEstimated`) counts with its real size once the server has told it.
   */
  readonly totalBytes: number;
  /** Bytes of every file stored so far (verified files and partial ones). */
  readonly doneBytes: number;
  /** `doneBytes / totalBytes`, 0 to 1; the final `done` (scope `model`) always says 1. */
  readonly fraction: number;
  /** Recent download speed (bytes/s, over the last seconds), 0 when unknown. */
  readonly bytesPerSecond: number;
  /** Seconds left at the recent speed, or `null` when unknown. */
  readonly etaSeconds: number | null;
  /** The event came over BroadcastChannel from the tab that holds the download. */
  readonly fromOtherTab: boolean;
  /** `performance.timeOrigin + performance.now()` when the event was made. */
  readonly at: number;
  /** Increases by one per event of a request: order checks need nothing else. */
  readonly seq: number;
}

/**
 * One progress event of a download, keyed on `status`:
 * - `queued`: waiting (for another tab's download, or to start);
 * - `downloading`: bytes arriving; `resumedFrom` tells where a resume began;
 * - `verifying`: the file's bytes are all stored and its hash is compared;
 * - `done`: a file (scope `file`) or the whole model (scope `model`, fraction 1) is verified and stored;
 * - `error`: the download failed; `error` keeps its class name and fields.
 */
export type DownloadProgress =
  | (ProgressBase & { readonly status: 'queued'; readonly reason: 'starting' | 'waiting-for-other-tab' })
  | (ProgressBase & { readonly status: 'downloading'; readonly resumedFrom: number })
  | (ProgressBase & { readonly status: 'verifying' })
  | (ProgressBase & { readonly status: 'done'; readonly verifiedBy: VerificationSource | null; readonly downloadedBytes: number })
  | (ProgressBase & { readonly status: 'error'; readonly error: SerializedError });

/** What people should read for a file's verification: "verified by server hash" when no hash was pinned. */
export function verificationLabel(source: VerificationSource): string {
  return source === 'pinned' ? 'verified against the pinned SHA-256' : 'verified by server hash';
}
