// The upscaler's real weights in a test mirror: `hybridgen models pull esrgan-slim` reads the
// @upscalerjs/esrgan-slim tarball that `npm pack` left (npm's cache after the first run), checks
// its pinned git blob SHA-1 and converts its TF.js models to ONNX into the folder.

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { hybridgenBinary, testsDir } from './paths.js';

const run = promisify(execFile);

/** The npm package whose weights `models pull esrgan-slim` converts (models/esrgan-slim.json's source). */
export const ESRGAN_SLIM_PACKAGE = '@upscalerjs/esrgan-slim@1.0.0';

/**
 * Pulls `esrgan-slim` into the mirror folder `modelsDir` (as `<modelsDir>/esrgan-slim/`); returns the
 * folder holding the npm tarball (`upscalerjs-esrgan-slim-1.0.0.tgz`), for tests that read its assets.
 */
export async function pullEsrganSlim(modelsDir: string): Promise<string> {
  const packs = mkdtempSync(join(tmpdir(), 'hybridgen-npm-'));
  await run('npm', ['pack', ESRGAN_SLIM_PACKAGE, '--pack-destination', packs, '--silent', '--prefer-offline'], { cwd: testsDir });
  await run(hybridgenBinary(), ['models', 'pull', 'esrgan-slim', '-dir', modelsDir, '-npm-packs', packs]);
  return packs;
}
