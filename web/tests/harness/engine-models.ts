import { testModelsDir } from './paths.js';

/** Where the global setup generates the test models (git-ignored); the Go mirror serves it with `-models-dir`. */
export const modelsDir = testModelsDir;

/** `hybridgen serve` flags that serve {@link modelsDir} as the model mirror (`/models/test-tiny-sd/...`). */
export const mirrorArgs = ['-models-dir', modelsDir] as const;
