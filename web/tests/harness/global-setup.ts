import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateTestModels } from '@hybridgen/testmodels';
import { build } from 'vite';
import { buildDir, hybridgenBinary, repoRoot, testModelsDir, testsDir } from './paths.js';

/**
 * Vitest global setup of the browser tests: builds the Go binary (unless
 * HYBRIDGEN_BIN names one, as `make test` does) and the test pages, and
 * generates the tiny test model into {@link testModelsDir}, once.
 */
export default async function setup(): Promise<void> {
  mkdirSync(buildDir, { recursive: true });
  if (!process.env.HYBRIDGEN_BIN) {
    execFileSync('go', ['build', '-o', hybridgenBinary(), './cmd/hybridgen'], { cwd: repoRoot, stdio: 'inherit' });
  }
  await build({ configFile: join(testsDir, 'pages', 'vite.config.ts') });
  generateTestModels({ outDir: testModelsDir });
}
