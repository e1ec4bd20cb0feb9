import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// The reference app. `make run` copies dist/ into internal/webapp/dist, which
// the Go binary embeds; every asset (tldraw fonts and icons included) is
// self-hosted, nothing is fetched from a CDN.
export default defineConfig({
  plugins: [react()],
  resolve: { conditions: ['source', ...defaultClientConditions], dedupe: ['react', 'react-dom'] },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
  },
  server: {
    headers: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    },
  },
});
