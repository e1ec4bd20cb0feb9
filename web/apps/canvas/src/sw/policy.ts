/** What the build writes to `/sw-manifest.json`. */
export interface PrecacheManifest {
  /** Changes with every build; names the cache. */
  readonly version: string;
  /** Every file of the build, relative to the site root. */
  readonly files: readonly string[];
}

/** Paths the service worker never touches: live API answers, model files (kept in OPFS), health checks. */
export function shouldBypass(pathname: string): boolean {
  return pathname.startsWith('/api/') || pathname.startsWith('/models/') || pathname === '/healthz' || pathname === '/sw-manifest.json';
}
