// Chromium's `navigator.storage.estimate()` does not always reflect the
// origin's real quota (a quota set through DevTools, for one, is enforced on
// writes but not reported). So before the first byte is written, the worker
// reserves the bytes it needs in a scratch file at the OPFS root: if the
// browser refuses, the download fails with a QuotaError and nothing is left.

import { QuotaError } from './errors.js';
import { openSyncAccess, type SyncAccessHandle } from './sync-access.js';

const PROBE_FILE = '.hybridgen-quota-probe';
/**
 * The most the probe reserves. Incognito profiles keep OPFS in memory, where
 * reserving a whole 2.4 GB model would allocate it; beyond this, the
 * `estimate()` check (accurate in normal profiles) and short writes, reported
 * as QuotaError with the partial file kept, cover the rest.
 */
export const QUOTA_PROBE_LIMIT_BYTES = 256 * 1024 * 1024;

function fits(access: SyncAccessHandle, bytes: number): boolean {
  // Over quota, Chromium's truncate() may throw or may just leave the size
  // unchanged; the size tells either way.
  try {
    access.truncate(bytes);
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name === 'QuotaExceededError') return false;
    throw error;
  }
  return access.getSize() === bytes;
}

/**
 * Throws {@link QuotaError} (with the bytes that would fit, to about 0.1 %)
 * unless `neededBytes` (up to {@link QUOTA_PROBE_LIMIT_BYTES}) can be written
 * to this origin's OPFS now. Workers only.
 */
export async function reserveQuota(neededBytes: number): Promise<void> {
  if (neededBytes <= 0) return;
  const root = await navigator.storage.getDirectory();
  const handle = await root.getFileHandle(PROBE_FILE, { create: true });
  let available = -1;
  try {
    const access = await openSyncAccess(handle);
    try {
      const probe = Math.min(neededBytes, QUOTA_PROBE_LIMIT_BYTES);
      if (fits(access, probe)) return;
      let lo = 0;
      let hi = probe;
      const resolution = Math.max(64 * 1024, Math.floor(probe / 1000));
      while (hi - lo > resolution) {
        const mid = Math.floor((lo + hi) / 2);
        if (fits(access, mid)) lo = mid;
        else hi = mid;
      }
      available = lo;
    } finally {
      access.truncate(0);
      access.close();
    }
  } finally {
    await root.removeEntry(PROBE_FILE);
  }
  throw new QuotaError(neededBytes, available);
}
