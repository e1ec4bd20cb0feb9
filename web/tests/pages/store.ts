// Model store hooks for browser tests, as `window.hgStore`: runs downloads
// and records their events, lists OPFS, reads stored files back, and
// installs a minimal service worker so the page itself loads offline.

import {
  type DownloadProgress,
  type DownloadResult,
  type ModelManifest,
  ModelStore,
  type ModelStoreOptions,
  parseManifest,
  serializeError,
} from '@hybridgen/core';
import { createSHA256 } from 'hash-wasm';
import { newStore } from './workers.js';

/** A download started by a test, observable while it runs. */
interface Run {
  readonly events: DownloadProgress[];
  result: DownloadResult | null;
  error: ReturnType<typeof serializeError> | null;
  settled: boolean;
  readonly controller: AbortController;
}

const runs = new Map<string, Run>();

/** Starts a download; poll it with `run(id)`. */
function start(id: string, manifestJson: unknown, options: { variant: 'wasm' | 'webgpu-f32' | 'webgpu-f16'; store?: ModelStoreOptions }): void {
  const manifest: ModelManifest = parseManifest(manifestJson);
  const store = newStore(options.store ?? {});
  const run: Run = { events: [], result: null, error: null, settled: false, controller: new AbortController() };
  runs.set(id, run);
  store
    .download(manifest, { variant: options.variant, signal: run.controller.signal, onProgress: (event) => run.events.push(event) })
    .then((result) => {
      run.result = result;
    })
    .catch((error: unknown) => {
      run.error = serializeError(error);
    })
    .finally(() => {
      run.settled = true;
    });
}

/** A plain copy of a run's state. */
function run(id: string): Omit<Run, 'controller'> | null {
  const r = runs.get(id);
  return r ? { events: r.events, result: r.result, error: r.error, settled: r.settled } : null;
}

function abort(id: string): void {
  runs.get(id)?.controller.abort(new DOMException('stopped by the test', 'AbortError'));
}

/** Every file under the origin's OPFS root, with sizes. */
async function opfsListing(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const walk = async (dir: FileSystemDirectoryHandle, prefix: string): Promise<void> => {
    for await (const handle of (dir as unknown as { values(): AsyncIterable<FileSystemHandle> }).values()) {
      const path = `${prefix}${handle.name}`;
      if (handle.kind === 'file') out[path] = (await (handle as FileSystemFileHandle).getFile()).size;
      else {
        out[`${path}/`] = -1;
        await walk(handle as FileSystemDirectoryHandle, `${path}/`);
      }
    }
  };
  await walk(await navigator.storage.getDirectory(), '');
  return out;
}

async function hex(buffer: ArrayBuffer): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The stored files of a ready variant, hashed here from the OPFS Files the engine would get. */
async function readStored(
  manifestJson: unknown,
  variant: 'wasm' | 'webgpu-f32' | 'webgpu-f16',
): Promise<{ path: string; role: string; bytes: number; sha256: string; recordedSha256: string; verifiedBy: string }[]> {
  const stored = await new ModelStore().openFiles(parseManifest(manifestJson), variant);
  return Promise.all(
    stored.files.map(async (f) => ({
      path: f.path,
      role: f.role,
      bytes: f.file.size,
      sha256: await hex(await f.file.arrayBuffer()),
      recordedSha256: f.sha256,
      verifiedBy: f.verifiedBy,
    })),
  );
}

/** Registers the test pages' service worker and resolves once it controls this page. */
async function installOfflineShell(): Promise<boolean> {
  await navigator.serviceWorker.register('/store-sw.js', { scope: '/' });
  await navigator.serviceWorker.ready;
  if (navigator.serviceWorker.controller) return true;
  await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }));
  return true;
}

/** SHA-256 throughput of hash-wasm on this thread (MB/s), for the download benchmark's ceiling. */
async function hashThroughput(megabytes: number): Promise<number> {
  const hasher = await createSHA256();
  hasher.init();
  const chunk = crypto.getRandomValues(new Uint8Array(65536)).slice();
  const big = new Uint8Array(1_000_000);
  for (let i = 0; i < big.length; i += chunk.length) big.set(chunk.subarray(0, Math.min(chunk.length, big.length - i)), i);
  const t0 = performance.now();
  for (let i = 0; i < megabytes; i++) hasher.update(big);
  hasher.digest('hex');
  return megabytes / ((performance.now() - t0) / 1000);
}

const hgStore = { hashThroughput, start, run, abort, opfsListing, readStored, installOfflineShell, ModelStore, newStore };
declare global {
  interface Window {
    hgStore: typeof hgStore;
  }
}
window.hgStore = hgStore;
