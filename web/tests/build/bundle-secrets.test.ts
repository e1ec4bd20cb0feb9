import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { expect, it } from 'vitest';
import { repoRoot } from '../harness/paths.js';

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

// A deployer's key lives in the server's environment. Even if it is in the
// environment while the app is built, under any name Vite might expose, it
// must not end up in the bundle the binary embeds.
it('the built canvas app carries no API key present in the build environment', async () => {
  const canary = 'rp_CANARY_KEY_3f9a0c7e5b1d';
  const names = ['RUNPOD_API_KEY', 'VITE_RUNPOD_API_KEY', 'VITE_API_KEY', 'HYBRIDGEN_TEST_RUNPOD_KEY'];
  const saved = names.map((n) => [n, process.env[n]] as const);
  for (const n of names) process.env[n] = canary;
  const outDir = mkdtempSync(join(tmpdir(), 'hybridgen-bundle-'));
  try {
    await build({ root: join(repoRoot, 'web/apps/canvas'), logLevel: 'silent', build: { outDir, emptyOutDir: true } });
  } finally {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  }
  const scanned = [...files(outDir)];
  expect(scanned.some((f) => f.endsWith('index.html'))).toBe(true);
  expect(scanned.length).toBeGreaterThan(10);
  const leaking = scanned.filter((f) => readFileSync(f).includes(canary));
  expect(leaking).toEqual([]);
}, 120_000);
