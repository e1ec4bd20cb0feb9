import { settleWithin } from './timeout.js';
import type { StorageReport } from './types.js';

/** Options of {@link probeStorage}. */
export interface ProbeStorageOptions {
  /** Milliseconds each storage call may take. */
  readonly timeoutMs: number;
}

/**
 * Reports OPFS presence, the storage estimate and whether storage is
 * persisted. Never throws; a missing or failing API reads as `false`/`null`.
 */
export async function probeStorage(options: ProbeStorageOptions, timedOut: string[] = []): Promise<StorageReport> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage) return { opfs: false, estimate: null, persisted: null };
  const opfs = typeof storage.getDirectory === 'function';
  const [estimate, persisted] = await Promise.all([
    typeof storage.estimate === 'function' ? settleWithin(() => storage.estimate(), options.timeoutMs) : null,
    typeof storage.persisted === 'function' ? settleWithin(() => storage.persisted(), options.timeoutMs) : null,
  ]);
  if (estimate && !estimate.ok && estimate.reason === 'timeout') timedOut.push('storage.estimate');
  if (persisted && !persisted.ok && persisted.reason === 'timeout') timedOut.push('storage.persisted');
  return {
    opfs,
    estimate: estimate?.ok ? { quotaBytes: estimate.value.quota ?? 0, usageBytes: estimate.value.usage ?? 0 } : null,
    persisted: persisted?.ok ? persisted.value : null,
  };
}
