import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  // Tests run in Vite's SSR environment: resolve workspace packages to their TypeScript sources there too.
  ssr: { resolve: { conditions: ['source', 'module', 'node', 'development|production'] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'packages/*/src/**/*.test.ts',
            'apps/*/src/**/*.test.ts',
            'tests/harness/**/*.test.ts',
            'tests/build/**/*.test.ts',
            'tools/*/src/**/*.test.ts',
          ],
          exclude: ['**/node_modules/**', 'tools/dawn-f16/src/**', '**/*.dawn.test.ts'],
          environment: 'node',
        },
      },
      {
        // WebGPU with shader-f16 in Node: Dawn over Mesa 25 lavapipe (tools/dawn-f16).
        // Name Node-side GPU tests `*.dawn.test.ts` to run them here.
        extends: true,
        test: {
          name: 'dawn',
          include: ['tools/dawn-f16/src/**/*.test.ts', 'packages/*/src/**/*.dawn.test.ts'],
          environment: 'node',
          globalSetup: ['tools/dawn-f16/src/global-setup.ts'],
          // lavapipe compiles every WGSL pipeline with LLVM: a cold Mesa shader cache costs about a minute per UNet on 2 cores.
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['tests/harness/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        // The second browser engine: Debian's Firefox ESR through puppeteer-core (WebDriver BiDi),
        // WebGPU over Mesa 25 lavapipe with shader-f16. The files use the driver adapter
        // (tests/harness/driver.ts), so `HYBRIDGEN_BROWSER=chromium` runs them in Chromium too.
        extends: true,
        test: {
          name: 'firefox',
          include: ['tests/firefox/**/*.test.ts'],
          environment: 'node',
          env: { HYBRIDGEN_BROWSER: 'firefox' },
          globalSetup: ['tests/harness/global-setup.ts'],
          // lavapipe compiles every WGSL pipeline with LLVM on 2 cores.
          testTimeout: 240_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        // The packages as published: npm pack each of packages/*, build a scratch app against the tarballs.
        extends: true,
        test: {
          name: 'pack',
          include: ['tests/pack/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
      {
        // Benchmarks that print figures (never part of make test): npx vitest run --project bench
        extends: true,
        test: {
          name: 'bench',
          include: ['tests/bench/**/*.bench.test.ts'],
          environment: 'node',
          globalSetup: ['tests/harness/global-setup.ts', 'tests/harness/engine-models.ts'],
          testTimeout: 600_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          pool: 'forks',
        },
      },
    ],
  },
});
