import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateTestModels } from '@hybridgen/testmodels';
import { build } from 'vite';
import { buildDir, hybridgenBinary, pagesDir, repoRoot, testModelsDir, testsDir } from './paths.js';

const webDir = join(testsDir, '..');
/** What the test pages are built from: their sources, the core and variants packages', and the locked dependencies. */
const PAGE_INPUTS = [
  join(testsDir, 'pages'),
  join(webDir, 'packages/core/src'),
  join(webDir, 'packages/core/package.json'),
  join(webDir, 'packages/variants/src'),
  join(webDir, 'packages/variants/package.json'),
  join(webDir, 'package-lock.json'),
];
/** Where the build of the test pages records the hash of the inputs it was made from. */
const pagesStamp = join(buildDir, 'pages.sha256');

function filesUnder(path: string): string[] {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** SHA-256 over the names and bytes of every input file, in a stable order. */
function inputsHash(inputs: readonly string[]): string {
  const hash = createHash('sha256');
  const files = inputs.flatMap((input) => filesUnder(input)).sort();
  for (const file of files)
    hash
      .update(`${relative(webDir, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  return hash.digest('hex');
}

/**
 * Vitest global setup of the browser tests: builds the Go binary (unless
 * HYBRIDGEN_BIN names one, as `make test` does) and the test pages (unless
 * the last build was made from the same inputs: `make test` runs two projects
 * with this setup), and generates the tiny test model into
 * {@link testModelsDir}, once.
 */
export default async function setup(): Promise<void> {
  mkdirSync(buildDir, { recursive: true });
  if (!process.env.HYBRIDGEN_BIN) {
    execFileSync('go', ['build', '-o', hybridgenBinary(), './cmd/hybridgen'], { cwd: repoRoot, stdio: 'inherit' });
  }
  const pagesHash = inputsHash(PAGE_INPUTS);
  const built = existsSync(join(pagesDir, 'index.html')) && existsSync(pagesStamp) && readFileSync(pagesStamp, 'utf8') === pagesHash;
  if (!built) {
    rmSync(pagesStamp, { force: true }); // a build that fails half way leaves no stamp
    await build({ configFile: join(testsDir, 'pages', 'vite.config.ts') });
    writeFileSync(pagesStamp, pagesHash);
  }
  generateTestModels({ outDir: testModelsDir });
}
