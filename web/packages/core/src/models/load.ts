import type { ModelManifest } from './types.js';
import { parseManifest } from './validate.js';

/** The manifest could not be fetched. */
export class ManifestFetchError extends Error {
  override readonly name = 'ManifestFetchError';
  readonly url: string;
  readonly status: number;
  constructor(url: string, status: number, detail: string) {
    super(`cannot load the model manifest ${url}: ${detail}`);
    this.url = url;
    this.status = status;
  }
}

/**
 * Returns `manifest` with a relative `baseUrl` (`./...`) resolved against
 * `manifestUrl`, the URL the manifest was loaded from; others are unchanged.
 */
export function resolveManifestBase(manifest: ModelManifest, manifestUrl: string): ModelManifest {
  if (!manifest.baseUrl.startsWith('./')) return manifest;
  return { ...manifest, baseUrl: new URL(manifest.baseUrl, manifestUrl).href };
}

/**
 * Fetches, validates and returns the manifest at `url` (for models that are
 * not built in, such as the generated test model), with a relative `baseUrl`
 * resolved against `url`. Throws ManifestFetchError or ManifestError.
 */
export async function loadManifest(url: string, options: { readonly signal?: AbortSignal } = {}): Promise<ModelManifest> {
  const absolute = new URL(url, globalThis.location?.href ?? 'http://localhost/').href;
  let response: Response;
  try {
    response = await fetch(absolute, { cache: 'no-cache', ...(options.signal ? { signal: options.signal } : {}) });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new ManifestFetchError(absolute, 0, (error as Error).message);
  }
  if (!response.ok) throw new ManifestFetchError(absolute, response.status, `HTTP ${response.status}`);
  let json: unknown;
  try {
    json = await response.json();
  } catch (error) {
    throw new ManifestFetchError(absolute, response.status, `not JSON: ${(error as Error).message}`);
  }
  return resolveManifestBase(parseManifest(json, { source: absolute }), absolute);
}
