import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testModelsDir } from './paths.js';

/** Where the global setup generates the test models (git-ignored); the Go mirror serves it with `-models-dir`. */
export const modelsDir = testModelsDir;

/** `hybridgen serve` flags that serve {@link modelsDir} as the model mirror (`/models/test-tiny-sd/...`). */
export const mirrorArgs = ['-models-dir', modelsDir] as const;

/**
 * A mirror folder holding the tiny model as the real SD-Turbo files are published: fp16 weights
 * only (a `webgpu-f16` variant and nothing else).
 */
export function fp16OnlyMirror(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hybridgen-f16-mirror-'));
  const target = join(dir, 'test-tiny-sd-f16');
  cpSync(join(testModelsDir, 'test-tiny-sd'), target, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(target, 'manifest.json'), 'utf8')) as { id: string; displayName: string; variants: Record<string, unknown> };
  manifest.id = 'test-tiny-sd-f16';
  manifest.displayName = 'Tiny test model, fp16 only';
  manifest.variants = { 'webgpu-f16': manifest.variants['webgpu-f16'] };
  writeFileSync(join(target, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}
