/** Reads model files from a {@link ModelFileSource}, with progress and abort. */

import { raceAbort, throwIfAborted } from '../../rpc/abort.js';
import { ModelFormatError } from '../errors.js';
import type { ModelFileSource } from '../model.js';

/** Called as bytes of one file arrive. */
export type ByteProgress = (loadedBytes: number, totalBytes: number | null) => void;

function joinUrl(base: string, path: string): string {
  const root = base.endsWith('/') ? base : `${base}/`;
  return new URL(path, new URL(root, globalThis.location?.href ?? 'http://localhost/')).href;
}

async function readResponse(response: Response, onProgress: ByteProgress | undefined, signal: AbortSignal | undefined): Promise<Uint8Array> {
  const header = response.headers.get('content-length');
  const total = header === null ? null : Number(header);
  if (!response.body || !onProgress) return new Uint8Array(await raceAbort(response.arrayBuffer(), signal));
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      throwIfAborted(signal);
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      loaded += value.byteLength;
      onProgress(loaded, total);
    }
  } finally {
    if (signal?.aborted) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Reads one file's bytes. Throws {@link ModelFormatError} when the source lacks it. */
export async function readModelFile(
  source: ModelFileSource,
  path: string,
  options: { signal?: AbortSignal; onProgress?: ByteProgress } = {},
): Promise<Uint8Array> {
  throwIfAborted(options.signal);
  if (source.kind === 'blobs') {
    const blob = source.files[path];
    if (!blob) throw new ModelFormatError(`the model source has no file ${path}`);
    const bytes = new Uint8Array(await raceAbort(blob.arrayBuffer(), options.signal));
    options.onProgress?.(bytes.byteLength, bytes.byteLength);
    return bytes;
  }
  const url = joinUrl(source.baseUrl, path);
  const response = await fetch(url, options.signal ? { signal: options.signal } : {});
  if (!response.ok) throw new ModelFormatError(`GET ${url}: HTTP ${response.status}`);
  return readResponse(response, options.onProgress, options.signal);
}
