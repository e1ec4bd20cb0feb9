// Exposes @hybridgen/core to browser tests as `window.hg`.

import type { CapabilityReport } from '@hybridgen/core';
import * as core from '@hybridgen/core';
import './engine.js';
import './imaging.js';
import './mediapipe.js';
import './store.js';
import './variants.js';
import './contract.js';
import { createDownloadWorker, createPngWorker, newStore } from './workers.js';

/** Runs detectCapabilities() in a dedicated module worker. */
function detectInWorker(): Promise<CapabilityReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./capabilities.worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<CapabilityReport>) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(`capabilities worker failed: ${event.message}`));
    };
    worker.postMessage('detect');
  });
}

const hg = { core, detectInWorker, newStore, createDownloadWorker, createPngWorker };
declare global {
  interface Window {
    hg: typeof hg;
  }
}
window.hg = hg;
document.documentElement.dataset.ready = 'true';
