import {
  type CapabilityReport,
  type CloudClient,
  createCloudClient,
  createCloudRenderer,
  createDraftQueue,
  createLocalRenderer,
  createPngEncoder,
  createRouter,
  createWorkerEngine,
  type DraftQueue,
  detectCapabilities,
  getManifest,
  isTransientCloudError,
  type LocalRendererHandle,
  loadManifest,
  type ModelManifest,
  ModelStore,
  parseManifest,
  type RouteProgress,
  type Router,
  type ServerConfig,
  unloadWhenHidden,
} from '@hybridgen/core';
import { createHybridAssetStore, type HybridAssetStore } from '@hybridgen/tldraw';
import { createVariantBuilder, createVariantDeriver } from '@hybridgen/variants';
import { type Atom, atom } from 'tldraw';
import LAST_KNOWN_LIMITS from './last-known-limits.json' with { type: 'json' };

/** Everything the app runs on, created once at start. */
export interface Services {
  readonly capabilities: CapabilityReport;
  readonly client: CloudClient;
  readonly config: ServerConfig;
  readonly manifest: ModelManifest;
  readonly store: ModelStore;
  readonly local: LocalRendererHandle;
  readonly router: Router;
  /** Fires `changed` after each finished image (cost and stored models may have changed). */
  readonly events: EventTarget;
  /** Local-draft reports waiting for the server (made offline). */
  readonly drafts: DraftQueue;
  /** tldraw's asset store: images in IndexedDB first, and on the server (`/api/assets/`). */
  readonly assets: HybridAssetStore;
  /** Whether `/api/config` answered when the app started. */
  readonly serverReachable: boolean;
  /** The built-in demo model (random weights) is the one in use. */
  readonly demoModel: boolean;
  /** The model download or load a shape is waiting for, so the model panel can follow it. */
  readonly preparing: Atom<RouteProgress | null>;
}

/** tldraw's persistence key of the canvas document. */
export const PERSISTENCE_KEY = 'hybridgen-canvas';

/** The id of the demo model the server builds in (`internal/demomodel`). */
export const DEMO_MODEL_ID = 'demo-tiny-sd';

const CLIENT_ID_KEY = 'hybridgen-client-id';

/** A stable id for this browser, for the ledger and per-client budgets. */
export function clientId(): string {
  let id = localStorage.getItem(CLIENT_ID_KEY);
  if (!id) {
    id = `browser-${crypto.randomUUID()}`;
    localStorage.setItem(CLIENT_ID_KEY, id);
  }
  return id;
}

const DEFAULT_MODEL_KEY = 'hybridgen-default-model';

/**
 * The model to open when the page names none: the server's default (SD-Turbo when its mirror holds
 * it, else the built-in demo model), remembered for offline starts.
 */
function defaultModelId(config: ServerConfig): string {
  const fromServer = config.models?.default;
  if (fromServer) {
    localStorage.setItem(DEFAULT_MODEL_KEY, fromServer);
    return fromServer;
  }
  return localStorage.getItem(DEFAULT_MODEL_KEY) ?? 'sd-turbo';
}

/**
 * The model to run: `?model=<id>` or the server's default. The server's mirror copy
 * (`/models/<id>/manifest.json`, written by `hybridgen models pull`) comes first: it pins every
 * file's exact size and hash and carries the graph summaries that refuse a backend before a
 * download. Without one, the built-in manifest. A mirrored manifest is remembered, so the app
 * still knows its model offline.
 */
async function chooseManifest(config: ServerConfig): Promise<ModelManifest> {
  const named = new URLSearchParams(location.search).get('model');
  const id = named ?? defaultModelId(config);
  const key = `hybridgen-manifest:${id}`;
  try {
    // Ask the mirror only for a model it may hold: one named in the address, or the server's default.
    if (named === null && id !== config.models?.default) throw new Error(`the server mirrors no ${id}`);
    const manifest = await loadManifest(`/models/${encodeURIComponent(id)}/manifest.json`);
    if (manifest.id !== id) throw new Error(`the mirror's manifest for ${id} names ${manifest.id}`);
    localStorage.setItem(key, JSON.stringify(manifest));
    return manifest;
  } catch (error) {
    const remembered = localStorage.getItem(key);
    if (remembered !== null) return parseManifest(JSON.parse(remembered));
    try {
      return getManifest(id);
    } catch {
      throw error;
    }
  }
}

const LIMITS_KEY = 'hybridgen-last-known-limits';

/**
 * The server's limits as last seen: the copy `/api/config` gave on an earlier start, or, before
 * any, the one built into the app (`last-known-limits.json`, kept equal to the server's answer by
 * the Go test `TestLastKnownLimitsMatchTheServer`).
 */
function lastKnownLimits(): ServerConfig['limits'] {
  const cached = localStorage.getItem(LIMITS_KEY);
  if (cached !== null) {
    try {
      return { ...LAST_KNOWN_LIMITS, ...(JSON.parse(cached) as Partial<ServerConfig['limits']>) };
    } catch {
      localStorage.removeItem(LIMITS_KEY);
    }
  }
  return LAST_KNOWN_LIMITS;
}

/** Offline, the server's config is unreachable: the app still drafts locally, within the last known limits. */
function offlineConfig(): ServerConfig {
  return { cloud: { configured: false, message: 'the server cannot be reached' }, targets: {}, limits: lastKnownLimits(), auth: { token_required: false } };
}

/** Creates the app's services: capabilities, cloud client, model store, engine (in a worker), router. */
export async function createServices(): Promise<Services> {
  const client = createCloudClient();
  const [capabilities, fetched] = await Promise.all([detectCapabilities(), client.config().catch(() => null)]);
  if (fetched) localStorage.setItem(LIMITS_KEY, JSON.stringify(fetched.limits));
  const config = fetched ?? offlineConfig();
  const manifest = await chooseManifest(config);
  // Every worker is created here, where the bundler sees each `new URL(..., import.meta.url)`; core creates none.
  const store = new ModelStore({
    mirrorRoot: '/models/',
    workerFactory: () => new Worker(new URL('./download.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-model-store' }),
  });
  const engine = createWorkerEngine({ createWorker: () => new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' }) });
  // Builds fp32 (WebGPU without shader-f16) or int8 (WASM) weights from an fp16-only download, in a worker.
  const builder = createVariantBuilder({ createWorker: () => new Worker(new URL('./variants.worker.ts', import.meta.url), { type: 'module' }) });
  const encodePng = createPngEncoder({
    createWorker: () => new Worker(new URL('./png.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-png' }),
  });
  const local = createLocalRenderer({ engine, store, manifest, capabilities, derive: createVariantDeriver({ builder }), encodePng });
  // A hidden tab gives its GPU memory back after five minutes; the next draft reloads.
  unloadWhenHidden(engine, { hiddenMs: 5 * 60_000, onUnload: () => void local.refresh() });
  await local.refresh();
  const events = new EventTarget();
  // Drafts made while the server is away wait in IndexedDB and reach the ledger when it is back.
  const drafts = createDraftQueue({ client, onChange: () => events.dispatchEvent(new Event('changed')) });
  // Images likewise: kept in IndexedDB at once, sent to the server when it can take them.
  const assets = createHybridAssetStore({
    serverUrl: (sha256) => client.assetUrl(sha256),
    upload: (sha256, file) => client.putAsset(sha256, file),
    isTransient: isTransientCloudError,
    persistenceKey: PERSISTENCE_KEY,
  });
  const flushAll = () => {
    void drafts.flush();
    void assets.flush();
  };
  globalThis.addEventListener('online', flushAll);
  // The server may come back while the browser never went offline: try now and then.
  setInterval(() => {
    void drafts.pending().then((n) => (n > 0 ? drafts.flush() : 0));
    void assets.pending().then((n) => (n > 0 ? assets.flush() : 0));
  }, 30_000);
  if (fetched) flushAll();
  const cloud = createCloudRenderer({ client, config, clientId: clientId(), reportDraft: (body) => drafts.report(body) });
  const router = createRouter({ local, cloud, onReportError: (e) => console.warn('hybridgen: the local draft was not recorded in the ledger', e) });
  return {
    capabilities,
    client,
    config,
    manifest,
    store,
    local,
    router,
    events,
    drafts,
    assets,
    serverReachable: fetched !== null,
    demoModel: manifest.id === DEMO_MODEL_ID,
    preparing: atom<RouteProgress | null>('hybridgen preparing', null),
  };
}
