import { join } from 'node:path';
import { generateTestModels } from '@hybridgen/testmodels';
import { buildDir } from './paths.js';

/** Where the generated test models are written (git-ignored); the Go mirror serves it with `-models-dir`. */
export const modelsDir = join(buildDir, 'models');

/** `hybridgen serve` flags that serve {@link modelsDir} as the model mirror (`/models/test-tiny-sd/...`). */
export const mirrorArgs = ['-models-dir', modelsDir] as const;

/**
 * Vitest global setup: generates the tiny SD-Turbo-shaped test model
 * (deterministic, < 1 s) into {@link modelsDir}.
 */
export default function setup(): void {
  generateTestModels({ outDir: modelsDir });
}
