/**
 * Where Mesa 25's lavapipe is installed (by `install-lavapipe.sh`) and the
 * environment the Vulkan loader needs to use it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The installer script next to this package. */
export const INSTALL_SCRIPT = resolve(here, '../install-lavapipe.sh');

/** Default cache folder: `<repo>/.cache/lavapipe` (git-ignored); `HYBRIDGEN_LAVAPIPE_DIR` overrides it. */
export function lavapipeDir(): string {
  return process.env.HYBRIDGEN_LAVAPIPE_DIR ?? resolve(here, '../../../../.cache/lavapipe');
}

/** Files of an installed lavapipe. */
export interface LavapipePaths {
  readonly dir: string;
  /** The Vulkan ICD manifest for `VK_ICD_FILENAMES`. */
  readonly icdJson: string;
  /** Folder with `libvulkan.so.1` and `libvulkan_lvp.so`, for `LD_LIBRARY_PATH`. */
  readonly libDir: string;
}

/** Paths of the lavapipe in `dir` (default {@link lavapipeDir}); does not check that they exist. */
export function lavapipePaths(dir = lavapipeDir()): LavapipePaths {
  return { dir, icdJson: join(dir, 'lvp_icd.json'), libDir: join(dir, 'root/usr/lib/x86_64-linux-gnu') };
}

/** Thrown when lavapipe is not installed or not usable by this process. */
export class LavapipeUnavailableError extends Error {
  override readonly name = 'LavapipeUnavailableError';
}

/** Runs the installer (idempotent: instant when already installed) and returns the paths. */
export function installLavapipe(dir = lavapipeDir()): LavapipePaths {
  execFileSync('bash', [INSTALL_SCRIPT, dir], { stdio: ['ignore', 'inherit', 'inherit'] });
  return lavapipePaths(dir);
}

/**
 * Environment variables a process needs to use lavapipe through Dawn:
 * `VK_ICD_FILENAMES` and `LD_LIBRARY_PATH` (the extracted Vulkan loader).
 * `LD_LIBRARY_PATH` is read when a process starts, so set these in the parent
 * (a Vitest global setup does: forked workers inherit them) or with `env` when
 * spawning Node.
 */
export function lavapipeEnv(paths = lavapipePaths(), base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const ld = base.LD_LIBRARY_PATH ? `${paths.libDir}${delimiter}${base.LD_LIBRARY_PATH}` : paths.libDir;
  return { VK_ICD_FILENAMES: paths.icdJson, LD_LIBRARY_PATH: ld };
}

/** Throws {@link LavapipeUnavailableError} unless lavapipe is installed and this process was started with its environment. */
export function assertLavapipeEnvironment(paths = lavapipePaths()): void {
  if (!existsSync(paths.icdJson)) throw new LavapipeUnavailableError(`lavapipe is not installed in ${paths.dir}: run ${INSTALL_SCRIPT}`);
  const ld = (process.env.LD_LIBRARY_PATH ?? '').split(delimiter);
  if (process.env.VK_ICD_FILENAMES !== paths.icdJson || !ld.includes(paths.libDir)) {
    throw new LavapipeUnavailableError(
      `this process was not started with lavapipe's environment (VK_ICD_FILENAMES=${paths.icdJson}, LD_LIBRARY_PATH containing ${paths.libDir}); ` +
        "use the 'dawn' Vitest project or spawn Node with lavapipeEnv()",
    );
  }
}
