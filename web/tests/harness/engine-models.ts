import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { testModelsDir } from './paths.js';

/** Where the global setup generates the test models (git-ignored); the Go mirror serves it with `-models-dir`. */
export const modelsDir = testModelsDir;

/** `hybridgen serve` flags that serve {@link modelsDir} as the model mirror (`/models/test-tiny-sd/...`). */
export const mirrorArgs = ['-models-dir', modelsDir] as const;

/** One file of a manifest variant, as the tests read it. */
interface ManifestFileEntry {
  role: string;
  path: string;
  bytes: number;
  sha256?: string;
}

/**
 * A mirror folder holding the tiny model as the real SD-Turbo files are published: fp16 weights
 * only (a `webgpu-f16` variant and nothing else). With `tinyDecoder`, the variant also has a
 * `tiny_decoder` (a copy of its VAE decoder graph: tests tell the two apart by the engine's
 * conventions for each).
 */
export function fp16OnlyMirror(options: { tinyDecoder?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'hybridgen-f16-mirror-'));
  const target = join(dir, 'test-tiny-sd-f16');
  cpSync(join(testModelsDir, 'test-tiny-sd'), target, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(target, 'manifest.json'), 'utf8')) as { id: string; displayName: string; variants: Record<string, unknown> };
  manifest.id = 'test-tiny-sd-f16';
  manifest.displayName = 'Tiny test model, fp16 only';
  manifest.variants = { 'webgpu-f16': manifest.variants['webgpu-f16'] };
  if (options.tinyDecoder) {
    const variant = manifest.variants['webgpu-f16'] as { files: ManifestFileEntry[]; requirements: { totalBytes: number } };
    const vae = variant.files.find((f) => f.role === 'vae_decoder');
    if (!vae) throw new Error('the test model has no vae_decoder file');
    const path = vae.path.replace('vae_decoder', 'tiny_decoder');
    mkdirSync(dirname(join(target, path)), { recursive: true });
    cpSync(join(target, vae.path), join(target, path));
    variant.files.push({ ...vae, role: 'tiny_decoder', path });
    variant.requirements.totalBytes += vae.bytes;
  }
  writeFileSync(join(target, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}
