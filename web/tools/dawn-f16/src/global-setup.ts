/**
 * Vitest global setup of the `dawn` project: installs lavapipe (idempotent)
 * and puts its environment into `process.env` before the test workers are
 * forked, so they start with `LD_LIBRARY_PATH` and `VK_ICD_FILENAMES` set.
 */
import { installLavapipe, lavapipeEnv } from './lavapipe.js';

export default function setup(): void {
  const paths = installLavapipe();
  Object.assign(process.env, lavapipeEnv(paths));
}
