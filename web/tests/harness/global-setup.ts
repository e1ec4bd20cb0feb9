import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';
import { buildDir, hybridgenBinary, repoRoot, testsDir } from './paths.js';

/**
 * Vitest global setup of the browser tests: builds the Go binary (unless
 * HYBRIDGEN_BIN names one, as `make test` does) and the test pages, once.
 */
export default async function setup(): Promise<void> {
  mkdirSync(buildDir, { recursive: true });
  if (!process.env.HYBRIDGEN_BIN) {
    execFileSync('go', ['build', '-o', hybridgenBinary(), './cmd/hybridgen'], { cwd: repoRoot, stdio: 'inherit' });
  }
  await build({ configFile: join(testsDir, 'pages', 'vite.config.ts') });
}
