import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateTestModels } from '@hybridgen/testmodels';
import { buildDir, pagesDir } from './paths.js';

/** Where the generated test models are written (git-ignored). */
export const modelsDir = join(buildDir, 'models');
/** The test model's folder as the pages serve it: `/engine-models/test-tiny-sd/`. */
export const servedModelsDir = join(pagesDir, 'engine-models');

/**
 * Vitest global setup (after the pages are built): generates the tiny
 * SD-Turbo-shaped test model (deterministic, < 1 s) and copies it under the
 * built pages, where the Go server serves it with the page's own origin.
 */
export default function setup(): void {
  const { modelDir } = generateTestModels({ outDir: modelsDir });
  rmSync(servedModelsDir, { recursive: true, force: true });
  mkdirSync(servedModelsDir, { recursive: true });
  cpSync(modelDir, join(servedModelsDir, 'test-tiny-sd'), { recursive: true });
}
