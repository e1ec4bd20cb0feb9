import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig } from 'vite';

// The test pages: a small app that exposes @hybridgen/core to browser tests
// as `window.hg`, built from source and served by the real Go server.
export default defineConfig({
  root: import.meta.dirname,
  logLevel: 'warn',
  resolve: { conditions: ['source', ...defaultClientConditions] },
  worker: { format: 'es' },
  build: {
    outDir: resolve(import.meta.dirname, '../.build/pages'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    minify: false,
    // index.html: the page browser tests drive; bench-local.html: the local path timed with nobody driving
    // (bench/gpu); bench-bare.html: the bare-ORT anchor (the ORT Web demo's way) on the same files.
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        'bench-local': resolve(import.meta.dirname, 'bench-local.html'),
        'bench-bare': resolve(import.meta.dirname, 'bench-bare.html'),
      },
    },
  },
});
