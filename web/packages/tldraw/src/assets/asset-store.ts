import type { TLAsset, TLAssetStore } from 'tldraw';
import { type BlobDb, legacyTldrawBlob, openBlobDb } from './blob-db.js';

/** Options of {@link createHybridAssetStore}. */
export interface HybridAssetStoreOptions {
  /** Where the server serves the file with this SHA-256 (hex); the asset's `src`. */
  readonly serverUrl: (sha256: string) => string;
  /**
   * Sends the file to the server under its SHA-256 (e.g. `CloudClient.putAsset`). Without it the
   * files stay in this browser only.
   */
  readonly upload?: (sha256: string, file: Blob) => Promise<unknown>;
  /** Whether a failed upload may succeed later (the server is away) rather than never. */
  readonly isTransient: (error: unknown) => boolean;
  /** tldraw's persistence key: images of older documents live in tldraw's own database for it. */
  readonly persistenceKey?: string;
  /** The IndexedDB database of the files. Default `hybridgen-assets`. */
  readonly dbName?: string;
}

/** A `TLAssetStore` that keeps files in this browser first and on the server too. */
export interface HybridAssetStore extends TLAssetStore {
  /** Sends every file the server does not have yet; resolves how many still wait. */
  flush(): Promise<number>;
  /** How many files wait for the server. */
  pending(): Promise<number>;
}

const HASH = /^[0-9a-f]{64}$/;

/** The hex SHA-256 of a file's bytes. */
export async function sha256Hex(blob: Blob): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The SHA-256 an asset's file is stored under, from its meta; `null` for other assets. */
export function assetSha256(asset: TLAsset): string | null {
  const hash = asset.meta?.sha256;
  return typeof hash === 'string' && HASH.test(hash) ? hash : null;
}

/**
 * tldraw's asset store for hybridgen: `upload` keeps the file in IndexedDB under its SHA-256 and
 * sends it to the server in the background (a file made offline waits and goes with
 * {@link HybridAssetStore.flush}); the asset's `src` is the server's URL for that hash and its
 * meta holds the hash. `resolve` shows this browser's copy when it has one (an object URL), else
 * the server's URL, so another browser or profile opening the same document shows the image too.
 * Create it once: tldraw rebuilds its store when the asset store changes.
 */
export function createHybridAssetStore(options: HybridAssetStoreOptions): HybridAssetStore {
  const db: BlobDb = openBlobDb(options.dbName ?? 'hybridgen-assets');
  const objectUrls = new Map<string, Promise<string | null>>();
  let flushing: Promise<number> | null = null;
  let again = false;

  async function sendAll(): Promise<number> {
    const waiting = await db.pending();
    if (!options.upload) return waiting.length;
    let left = waiting.length;
    for (const hash of waiting) {
      const blob = await db.get(hash);
      try {
        if (blob) await options.upload(hash, blob);
      } catch (error) {
        if (options.isTransient(error)) break;
        console.warn(`hybridgen: the server refused image ${hash}; it stays in this browser only`, error);
      }
      await db.settle(hash);
      left--;
    }
    return left;
  }

  /** This browser's copy of the file as an object URL, made once per hash. */
  function localUrl(key: string, read: () => Promise<Blob | undefined>): Promise<string | null> {
    let url = objectUrls.get(key);
    if (!url) {
      url = read().then((blob) => (blob ? URL.createObjectURL(blob) : null));
      objectUrls.set(key, url);
      // A miss is not remembered: the file may arrive later.
      void url.then((u) => (u === null ? objectUrls.delete(key) : undefined));
    }
    return url;
  }

  const store: HybridAssetStore = {
    async upload(_asset, file) {
      const hash = await sha256Hex(file);
      await db.put(hash, file);
      void store.flush();
      return { src: options.serverUrl(hash), meta: { sha256: hash } };
    },
    async resolve(asset) {
      const hash = assetSha256(asset);
      if (hash) return (await localUrl(hash, () => db.get(hash))) ?? asset.props.src;
      const src = asset.props.src;
      if (src?.startsWith('asset:') && options.persistenceKey) {
        const key = options.persistenceKey;
        return localUrl(asset.id, () => legacyTldrawBlob(key, asset.id));
      }
      return src;
    },
    flush() {
      // A file stored while a flush runs may have come after its list: run once more then.
      if (flushing) {
        again = true;
        return flushing;
      }
      flushing = (async () => {
        let left: number;
        do {
          again = false;
          left = await sendAll();
        } while (again);
        return left;
      })().finally(() => {
        flushing = null;
      });
      return flushing;
    },
    async pending() {
      return (await db.pending()).length;
    },
  };
  return store;
}
