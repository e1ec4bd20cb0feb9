/**
 * The browser half of the asset store: image files in IndexedDB, keyed by their SHA-256, and the
 * hashes still to be sent to the server.
 */

const BLOBS = 'blobs';
const PENDING = 'pending';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Image files by SHA-256, and the ones the server does not have yet. */
export interface BlobDb {
  get(sha256: string): Promise<Blob | undefined>;
  /** Stores the file and marks it to be sent to the server, in one transaction. */
  put(sha256: string, blob: Blob): Promise<void>;
  /** The hashes the server does not have yet, oldest first. */
  pending(): Promise<string[]>;
  /** The server has it now (or refused it for good). */
  settle(sha256: string): Promise<void>;
}

/** Opens (creating when missing) the IndexedDB database `name`. */
export function openBlobDb(name: string): BlobDb {
  let opened: Promise<IDBDatabase> | null = null;
  const db = () => {
    opened ??= (() => {
      const open = indexedDB.open(name, 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore(BLOBS);
        open.result.createObjectStore(PENDING, { keyPath: 'sha256' });
      };
      return request(open);
    })();
    return opened;
  };
  const done = (tx: IDBTransaction) =>
    new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  return {
    async get(sha256) {
      return request((await db()).transaction(BLOBS).objectStore(BLOBS).get(sha256) as IDBRequest<Blob | undefined>);
    },
    async put(sha256, blob) {
      const tx = (await db()).transaction([BLOBS, PENDING], 'readwrite');
      tx.objectStore(BLOBS).put(blob, sha256);
      tx.objectStore(PENDING).put({ sha256, at: Date.now() });
      await done(tx);
    },
    async pending() {
      const all = await request((await db()).transaction(PENDING).objectStore(PENDING).getAll() as IDBRequest<{ sha256: string; at: number }[]>);
      return all.sort((a, b) => a.at - b.at).map((p) => p.sha256);
    },
    async settle(sha256) {
      const tx = (await db()).transaction(PENDING, 'readwrite');
      tx.objectStore(PENDING).delete(sha256);
      await done(tx);
    },
  };
}

/**
 * A file tldraw's own local asset store kept (documents made before this store: their images have
 * `asset:` sources and live in tldraw's database for the persistence key), or `undefined`.
 */
export async function legacyTldrawBlob(persistenceKey: string, assetId: string): Promise<Blob | undefined> {
  const name = `TLDRAW_DOCUMENT_v2${persistenceKey}`;
  const known = (await indexedDB.databases?.())?.some((d) => d.name === name);
  if (known === false) return undefined;
  const db = await request(indexedDB.open(name));
  try {
    if (!db.objectStoreNames.contains('assets')) return undefined;
    return await request(db.transaction('assets').objectStore('assets').get(assetId) as IDBRequest<Blob | undefined>);
  } finally {
    db.close();
  }
}
