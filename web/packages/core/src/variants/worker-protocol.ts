/**
 * Messages between {@link createVariantBuilder} (the page) and
 * {@link serveVariantBuilder} (a dedicated worker). Types only.
 * Page -> worker: `build` (request id, typed payload) and `cancel`.
 * Worker -> page: `progress` (any number), then one `done` or `error`.
 */

import type { SerializedEngineError } from '../engine/errors.js';
import type { BuildProgress, BuildVariantRequest, BuiltVariant } from './build.js';

/** The payload of a build: the request with Blobs (they clone cheaply) and the OPFS folder to write. */
export interface BuildPayload extends Omit<BuildVariantRequest, 'blobs'> {
  readonly blobs: Readonly<Record<string, Blob>>;
  /** Folder under the OPFS root, e.g. `variants/sd-turbo/fp32`. */
  readonly outDir: string;
}

/** Page -> worker. */
export type ToVariantWorker =
  | { readonly type: 'build'; readonly id: number; readonly payload: BuildPayload }
  | { readonly type: 'cancel'; readonly id: number; readonly reason: SerializedEngineError };

/** Worker -> page. */
export type FromVariantWorker =
  | { readonly type: 'progress'; readonly id: number; readonly progress: BuildProgress }
  | { readonly type: 'done'; readonly id: number; readonly result: BuiltVariant }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedEngineError };
