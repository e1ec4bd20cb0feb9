/**
 * The variant worker's API over the rpc module: what
 * {@link createVariantBuilder} (the page) calls and
 * {@link serveVariantBuilder} (a dedicated worker) answers. Types only.
 */

import type { BuildProgress, BuildVariantRequest, BuiltVariant } from './build.js';

/** The payload of a build: the request with Blobs (they clone cheaply) and the OPFS folder to write. */
export interface BuildPayload extends Omit<BuildVariantRequest, 'blobs'> {
  readonly blobs: Readonly<Record<string, Blob>>;
  /** Folder under the OPFS root, e.g. `variants/sd-turbo/fp32`. */
  readonly outDir: string;
}

/** The variant worker's one operation. */
export type VariantApi = {
  build: { request: BuildPayload; result: BuiltVariant; progress: BuildProgress };
};
