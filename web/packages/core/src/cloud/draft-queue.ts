import type { CloudClient } from './client.js';
import { CloudApiError, CloudUnreachableError } from './errors.js';
import type { DraftReportBody } from './wire.js';

/** Options of {@link createDraftQueue}. */
export interface DraftQueueOptions {
  readonly client: CloudClient;
  /** The IndexedDB database holding unsent reports. Default `hybridgen-draft-queue`. */
  readonly dbName?: string;
  /** Called after the queue changed (a report queued or sent), e.g. to refresh a cost panel. */
  readonly onChange?: (pending: number) => void;
}

/**
 * Local drafts reported to the ledger even when they were made offline: a report the server
 * cannot take now (unreachable, or a 5xx) waits in IndexedDB and is sent, with its original
 * idempotency key (so never counted twice), by {@link DraftQueue.flush}.
 */
export interface DraftQueue {
  /** Sends the report now, or queues it when the server cannot take it; resolves `queued` or `sent`. */
  report(body: DraftReportBody): Promise<'sent' | 'queued'>;
  /** Sends every queued report, oldest first; stops at the first the server cannot take. Resolves how many are left. */
  flush(): Promise<number>;
  /** How many reports wait. */
  pending(): Promise<number>;
}

const STORE = 'reports';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDb(name: string): Promise<IDBDatabase> {
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: 'idempotency_key' });
  return request(open);
}

/**
 * Whether the server could not take a request now (unreachable, or a 5xx), as opposed to refusing
 * it for good: what waits in an offline queue and what is dropped.
 */
export function isTransientCloudError(error: unknown): boolean {
  return error instanceof CloudUnreachableError || (error instanceof CloudApiError && error.status >= 500);
}

/** Creates a {@link DraftQueue} over IndexedDB. */
export function createDraftQueue(options: DraftQueueOptions): DraftQueue {
  const { client } = options;
  let db: Promise<IDBDatabase> | null = null;
  let flushing: Promise<number> | null = null;
  const tx = async (mode: IDBTransactionMode) => {
    db ??= openDb(options.dbName ?? 'hybridgen-draft-queue');
    return (await db).transaction(STORE, mode).objectStore(STORE);
  };
  const queued = async (): Promise<DraftReportBody[]> => request((await tx('readonly')).getAll() as IDBRequest<DraftReportBody[]>);
  const changed = async () => options.onChange?.(await request((await tx('readonly')).count()));

  async function sendAll(): Promise<number> {
    const reports = await queued();
    let left = reports.length;
    for (const body of reports) {
      try {
        await client.reportDraft(body);
      } catch (error) {
        if (isTransientCloudError(error)) break;
        console.warn('hybridgen: the server refused a queued draft report; dropping it', error);
      }
      await request((await tx('readwrite')).delete(body.idempotency_key));
      left--;
    }
    if (left !== reports.length) await changed();
    return left;
  }

  const queue: DraftQueue = {
    async report(body) {
      try {
        await client.reportDraft(body);
        void queue.flush();
        return 'sent';
      } catch (error) {
        if (!isTransientCloudError(error)) throw error;
        await request((await tx('readwrite')).put(body));
        await changed();
        return 'queued';
      }
    },
    flush() {
      flushing ??= sendAll().finally(() => {
        flushing = null;
      });
      return flushing;
    },
    async pending() {
      return request((await tx('readonly')).count());
    },
  };
  return queue;
}
