// Test models for the model store: deterministic random files written into a
// temporary models folder served by `hybridgen serve -models-dir`, their
// manifests, and the mirror's test-fault control API (-mirror-test-faults).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { hybridgenBinary, testsDir } from './paths.js';

/** Deterministic pseudo-random bytes (xorshift32), seeded. */
export function randomBytes(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  for (; i < length; i++) out[i] = (x >>> (8 * (i & 3))) & 0xff;
  return out;
}

/** Lowercase hex SHA-256. */
export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One file of a test model. */
export interface TestFile {
  readonly role: 'text_encoder' | 'unet' | 'vae_decoder';
  readonly path: string;
  readonly bytes: number;
  /** Pin the hash in the manifest (else it is verified by the server's hash). */
  readonly pin: boolean;
}

/** A test model written to the models folder. */
export interface TestModel {
  readonly id: string;
  readonly manifest: Record<string, unknown>;
  readonly files: readonly (TestFile & { readonly data: Buffer; readonly sha256: string })[];
  readonly totalBytes: number;
}

/** A temporary folder to serve as the mirror. */
export function makeModelsDir(): string {
  return mkdtempSync(join(tmpdir(), 'hybridgen-models-'));
}

/** The npm package whose real weights the background remover converts (Apache-2.0). */
export const SELFIE_PACKAGE = '@mediapipe/selfie_segmentation@0.1.1675465747';

/**
 * Puts the real background remover into the mirror `modelsDir`: `npm pack` fetches the published
 * tarball (npm's cache after the first run), `hybridgen models pull` checks its pinned git blob SHA-1
 * and converts its TFLite model to ONNX. Returns the tarball's path.
 */
export async function pullSelfieSegmentation(modelsDir: string): Promise<string> {
  const run = promisify(execFile);
  const packs = mkdtempSync(join(tmpdir(), 'hybridgen-npm-'));
  await run('npm', ['pack', SELFIE_PACKAGE, '--pack-destination', packs, '--silent', '--prefer-offline'], { cwd: testsDir });
  await run(hybridgenBinary(), ['models', 'pull', 'selfie-segmentation', '-dir', modelsDir, '-npm-packs', packs]);
  const tarball = readdirSync(packs).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${packs}`);
  return join(packs, tarball);
}

/** Writes a model's files under `dir/<id>/` and returns it with its manifest (variant `wasm`, baseUrl `/models/<id>/`). */
export function writeTestModel(dir: string, id: string, files: readonly TestFile[], seed: number): TestModel {
  const written = files.map((f, i) => {
    const data = randomBytes(f.bytes, seed * 31 + i + 1);
    const path = join(dir, id, f.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
    return { ...f, data, sha256: sha256(data) };
  });
  const totalBytes = written.reduce((a, f) => a + f.bytes, 0);
  const manifest = {
    schemaVersion: 1,
    id,
    displayName: `Test model ${id}`,
    license: { name: 'test data' },
    baseUrl: `/models/${id}/`,
    pipeline: { kind: 'test' },
    variants: {
      wasm: {
        requirements: { totalBytes, largestBufferBytes: 0, peakMemoryBytes: 0, needsShaderF16: false },
        files: written.map((f) => ({ role: f.role, path: f.path, bytes: f.bytes, sha256: f.pin ? f.sha256 : null })),
      },
    },
  };
  return { id, manifest, files: written, totalBytes };
}

/** Per-file counters of the mirror (see internal/mirror FileStats). */
export interface MirrorFileStats {
  readonly get: number;
  readonly head: number;
  readonly range: number;
  readonly dropped: number;
  readonly bodyBytes: number;
  readonly ranges: readonly string[];
}

/** Client of the mirror's test-fault API. */
export function mirrorFaults(serverUrl: string) {
  return {
    async set(fault: { path: string; dropAfterBytes?: number; times?: number; bytesPerSecond?: number; ignoreRange?: boolean }): Promise<void> {
      const response = await fetch(`${serverUrl}/_test/mirror/faults`, { method: 'PUT', body: JSON.stringify(fault) });
      if (response.status !== 204) throw new Error(`set fault: ${response.status} ${await response.text()}`);
    },
    async reset(): Promise<void> {
      const response = await fetch(`${serverUrl}/_test/mirror/faults`, { method: 'DELETE' });
      if (response.status !== 204) throw new Error(`reset faults: ${response.status}`);
    },
    async stats(): Promise<Record<string, MirrorFileStats>> {
      const response = await fetch(`${serverUrl}/_test/mirror/stats`);
      return (await response.json()) as Record<string, MirrorFileStats>;
    },
  };
}
