/// <reference lib="webworker" />
// The app-shell service worker: after the first visit the canvas opens with
// the network off. It precaches every file of the build (listed in
// sw-manifest.json, written by the Vite build), answers navigations from the
// network when it can and from the cache when it cannot, and serves the
// content-hashed assets cache-first. The API and the model mirror are never
// cached here: models live in OPFS, API answers must be live.
import { type PrecacheManifest, shouldBypass } from './policy.js';

declare const self: ServiceWorkerGlobalScope;

const MANIFEST_URL = '/sw-manifest.json';
const CACHE_PREFIX = 'hybridgen-shell-';

async function loadManifest(): Promise<PrecacheManifest> {
  const response = await fetch(MANIFEST_URL, { cache: 'no-store' });
  if (!response.ok) throw new Error(`service worker: ${MANIFEST_URL} answered ${response.status}`);
  return (await response.json()) as PrecacheManifest;
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const manifest = await loadManifest();
      const cache = await caches.open(CACHE_PREFIX + manifest.version);
      await cache.addAll(['/', ...manifest.files.map((f) => `/${f}`)]);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const manifest = await loadManifest().catch(() => null);
      if (manifest) {
        const keep = CACHE_PREFIX + manifest.version;
        for (const key of await caches.keys()) if (key.startsWith(CACHE_PREFIX) && key !== keep) await caches.delete(key);
      }
      await self.clients.claim();
    })(),
  );
});

async function networkFirst(request: Request): Promise<Response> {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(`${CACHE_PREFIX}runtime`);
      await cache.put(request.mode === 'navigate' ? '/' : request, response.clone());
    }
    return response;
  } catch (error) {
    const cached = await caches.match(request.mode === 'navigate' ? '/' : request);
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cached = await caches.match(request);
  return cached ?? fetch(request);
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin || shouldBypass(url.pathname)) return;
  if (event.request.mode === 'navigate' || url.pathname === '/') {
    event.respondWith(networkFirst(event.request));
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(cacheFirst(event.request));
  } else {
    event.respondWith(networkFirst(event.request));
  }
});
