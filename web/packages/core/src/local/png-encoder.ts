import { imageToPngBlob } from '../engine/pipeline/image.js';
import { createRpcClient, type RpcWorker } from '../rpc/client.js';
import { type RpcScope, serveRpc } from '../rpc/server.js';

/** The PNG worker's API over the rpc module. */
export type PngApi = {
  encode: { request: { readonly width: number; readonly height: number; readonly rgba: Uint8ClampedArray }; result: Blob };
};

/** Encodes RGBA pixels as a PNG Blob. */
export type PngEncoder = (image: { readonly width: number; readonly height: number; readonly rgba: Uint8ClampedArray }) => Promise<Blob>;

/** Options of {@link createPngEncoder}. */
export interface PngEncoderOptions {
  /** Creates the PNG worker (a module calling {@link servePngEncoder}); without it, encoding runs on this thread. */
  readonly createWorker?: () => RpcWorker;
  /** Time limit of one encoding. Default 30 s. */
  readonly timeoutMs?: number;
}

/**
 * A PNG encoder that works in a dedicated worker, so the page's main thread
 * never spends the encoding time. The pixels are transferred (the caller's
 * array is detached). Encodes in place when no worker is given.
 */
export function createPngEncoder(options: PngEncoderOptions = {}): PngEncoder {
  if (!options.createWorker) return imageToPngBlob;
  const rpc = createRpcClient<PngApi>({ name: 'the PNG worker', createWorker: options.createWorker, timeouts: { encode: options.timeoutMs ?? 30_000 } });
  return ({ width, height, rgba }) => rpc.call('encode', { width, height, rgba }, { transfer: [rgba.buffer as ArrayBuffer] });
}

/** Runs in the PNG worker (a 512 px PNG takes tens of milliseconds): `servePngEncoder(self)`. */
export function servePngEncoder(scope: RpcScope): void {
  serveRpc<PngApi>(scope, { encode: (image) => imageToPngBlob(image) });
}
