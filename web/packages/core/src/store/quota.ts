import { QuotaError } from './errors.js';

/** The origin's storage as `navigator.storage.estimate()` reports it. */
export interface StorageEstimateBytes {
  readonly quotaBytes: number;
  readonly usageBytes: number;
}

/** Reads the storage estimate; null when the API is missing. */
export async function estimateStorage(): Promise<StorageEstimateBytes | null> {
  const storage = navigator.storage;
  if (typeof storage?.estimate !== 'function') return null;
  const { quota = 0, usage = 0 } = await storage.estimate();
  return { quotaBytes: quota, usageBytes: usage };
}

/** Throws {@link QuotaError} when `neededBytes` exceed what the origin may still store. */
export async function assertQuota(neededBytes: number): Promise<void> {
  if (neededBytes <= 0) return;
  const estimate = await estimateStorage();
  if (!estimate) return; // nothing to check against; OPFS writes will fail loudly if space runs out
  const available = Math.max(0, estimate.quotaBytes - estimate.usageBytes);
  if (neededBytes > available) throw new QuotaError(neededBytes, available);
}

/** Asks for persistent storage so the browser does not evict the model; false when refused or unsupported. */
export async function requestPersistence(): Promise<boolean> {
  const storage = navigator.storage;
  if (typeof storage?.persist !== 'function') return false;
  try {
    return (await storage.persisted?.()) || (await storage.persist());
  } catch {
    return false;
  }
}

/** A persistence request that nobody waits for: {@link requestPersistenceInBackground}. */
export interface PendingPersistence {
  /** What the browser has answered so far: false while it has not answered (or refused). */
  granted(): boolean;
}

/**
 * Asks for persistent storage without waiting for the answer. Firefox shows a permission prompt
 * for `persist()` and its promise stays pending until the person answers (forever when they
 * ignore it), so a download must never wait on it; Chromium answers at once.
 */
export function requestPersistenceInBackground(): PendingPersistence {
  let granted = false;
  void requestPersistence().then((value) => {
    granted = value;
  });
  return { granted: () => granted };
}
