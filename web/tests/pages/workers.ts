// The workers the test pages inject into @hybridgen/core, as the canvas app does (core creates none).
import { ModelStore, type ModelStoreOptions } from '@hybridgen/core';

/** The model store's download worker (which starts its own hash worker). */
export const createDownloadWorker = (): Worker =>
  new Worker(new URL('./download.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-model-store' });

/** The PNG encoder's worker. */
export const createPngWorker = (): Worker => new Worker(new URL('./png.worker.ts', import.meta.url), { type: 'module', name: 'hybridgen-png' });

/** A model store with the test pages' download worker. */
export function newStore(options: ModelStoreOptions = {}): ModelStore {
  return new ModelStore({ workerFactory: createDownloadWorker, ...options });
}
