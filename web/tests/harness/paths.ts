import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `web/tests` folder. */
export const testsDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root. */
export const repoRoot = resolve(testsDir, '../..');
/** Where the harness writes what it builds (git-ignored). */
export const buildDir = join(testsDir, '.build');
/** The generated test models (`<testModelsDir>/test-tiny-sd/manifest.json`, ...), written by the global setup. */
export const testModelsDir = join(buildDir, 'models');
/** The Vite build of the test pages, served by the Go server in browser tests. */
export const pagesDir = join(buildDir, 'pages');
/** The hybridgen binary the tests run: `HYBRIDGEN_BIN` or one built by the global setup. */
export function hybridgenBinary(): string {
  return process.env.HYBRIDGEN_BIN ?? join(buildDir, 'hybridgen');
}
