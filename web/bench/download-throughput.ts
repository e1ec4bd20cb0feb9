// Model store download benchmark (not a test): real Chromium against the real
// Go server on loopback. Prints
//   1. throughput of ModelStore.download (fetch in a worker, SHA-256 while
//      streaming, OPFS writes through a sync access handle, completion record)
//      against a raw fetch of the same bytes read to the end, and their ratio
//      (goal >= 0.9x);
//   2. the bytes sent twice when the connection is cut mid-file, and when a
//      download is aborted and resumed later (goal <= one checkpoint, 8 MiB).
//
// Run from web/:  npm run bench:download   (BENCH_MB=512 for a bigger file; BENCH_RUNS=5)

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { BASE_FLAGS, CHROMIUM_PATH } from '../tests/harness/browser.js';
import setup from '../tests/harness/global-setup.js';
import { makeModelsDir, mirrorFaults, randomBytes, sha256 } from '../tests/harness/mirror.js';
import { startServer } from '../tests/harness/server.js';

const MB = 1_000_000;
const sizeMB = Number(process.env.BENCH_MB ?? 256);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const bytes = sizeMB * MB;
const CHECKPOINT = 8 * 1024 * 1024;

await setup();
const dir = makeModelsDir();
const data = randomBytes(bytes, 42);
mkdirSync(join(dir, 'bench', 'unet'), { recursive: true });
writeFileSync(join(dir, 'bench', 'unet', 'model.onnx'), data);
const manifest = (pinned: boolean) => ({
  schemaVersion: 1,
  id: 'bench',
  displayName: 'bench',
  license: { name: 'test data' },
  baseUrl: '/models/bench/',
  pipeline: { kind: 'test' },
  variants: {
    wasm: {
      requirements: { totalBytes: bytes, largestBufferBytes: 0, peakMemoryBytes: 0, needsShaderF16: false },
      files: [{ role: 'unet', path: 'unet/model.onnx', bytes, sha256: pinned ? sha256(data) : null }],
    },
  },
});

const server = await startServer({ args: ['-models-dir', dir, '-mirror-test-faults'] });
const faults = mirrorFaults(server.url);
// A persistent profile, as a user has: incognito contexts keep OPFS in memory.
const profile = mkdtempSync(join(tmpdir(), 'hybridgen-bench-profile-'));
const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: [...BASE_FLAGS] });
try {
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => 'hgStore' in window);
  // Warm the server's hash cache and the connection.
  await fetch(`${server.url}/models/bench/unet/model.onnx`, { method: 'HEAD' });

  const rawFetch = () =>
    page.evaluate(async (url) => {
      const t0 = performance.now();
      const response = await fetch(url, { cache: 'no-store' });
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let n = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.byteLength;
      }
      return { ms: performance.now() - t0, n };
    }, '/models/bench/unet/model.onnx');

  const storeDownload = (m: unknown) =>
    page.evaluate(async (m) => {
      const { ModelStore } = window.hgStore;
      const manifest = window.hg.core.parseManifest(m);
      const store = new ModelStore();
      await store.delete(manifest.id);
      const t0 = performance.now();
      await store.download(manifest, { variant: 'wasm' });
      return { ms: performance.now() - t0 };
    }, m);

  const raw: number[] = [];
  const stored: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await rawFetch();
    if (r.n !== bytes) throw new Error(`raw fetch read ${r.n} bytes`);
    raw.push(r.ms);
    stored.push((await storeDownload(manifest(false))).ms);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const mbps = (ms: number) => bytes / MB / (ms / 1000);
  const rawMs = median(raw);
  const storeMs = median(stored);
  console.log(`\nModel store download benchmark: ${sizeMB} MB file, loopback, median of ${runs}`);
  console.log(`  raw fetch (read to the end)           ${mbps(rawMs).toFixed(0).padStart(5)} MB/s  (${raw.map((m) => m.toFixed(0)).join(', ')} ms)`);
  console.log(`  ModelStore.download (hash + OPFS)     ${mbps(storeMs).toFixed(0).padStart(5)} MB/s  (${stored.map((m) => m.toFixed(0)).join(', ')} ms)`);
  const hashMBps = await page.evaluate(() => window.hgStore.hashThroughput(256));
  console.log(`  SHA-256 alone (hash-wasm, one thread)  ${hashMBps.toFixed(0).padStart(5)} MB/s  (the store hashes in a second worker, in parallel)`);
  const serial = 1 / (1 / mbps(rawMs) + 1 / hashMBps);
  console.log(
    `  no-overlap ceiling 1/(1/raw + 1/hash)  ${serial.toFixed(0).padStart(5)} MB/s  store reaches ${(mbps(storeMs) / serial).toFixed(2)}x of it (what a CPU-bound machine allows)`,
  );
  console.log(`  ratio store / raw                     ${(rawMs / storeMs).toFixed(2)}x  (goal >= 0.90x)`);

  // Bytes sent twice after a cut connection (the store retries in place).
  await page.evaluate(() => new window.hgStore.ModelStore().delete('bench'));
  await faults.reset();
  const cut = Math.floor(bytes * 0.41) + 12_345;
  await faults.set({ path: 'bench/unet/model.onnx', dropAfterBytes: cut });
  await storeDownload(manifest(true));
  const afterCut = (await faults.stats())['bench/unet/model.onnx'];
  const resentCut = (afterCut?.bodyBytes ?? Number.NaN) - bytes;
  console.log(`  re-sent after a cut at byte ${cut}: ${resentCut} bytes (ranges ${JSON.stringify(afterCut?.ranges)}; goal <= ${CHECKPOINT})`);

  // Bytes sent twice when a download is aborted and resumed by a later call.
  await page.evaluate(() => new window.hgStore.ModelStore().delete('bench'));
  await faults.reset();
  await faults.set({ path: 'bench/unet/model.onnx', bytesPerSecond: 200 * MB });
  const abortAt = Math.floor(bytes * 0.3);
  const partial = await page.evaluate(
    async ([m, abortAt]) => {
      const store = new window.hgStore.ModelStore();
      const manifest = window.hg.core.parseManifest(m);
      const controller = new AbortController();
      await store
        .download(manifest, { variant: 'wasm', signal: controller.signal, onProgress: (e) => e.doneBytes > abortAt && controller.abort() })
        .catch(() => {});
      return (await store.status(manifest, 'wasm')).storedBytes;
    },
    [manifest(false), abortAt] as const,
  );
  const servedBeforeResume = (await faults.stats())['bench/unet/model.onnx']?.bodyBytes ?? 0;
  await faults.reset();
  await page.evaluate(async (m) => {
    await new window.hgStore.ModelStore().download(window.hg.core.parseManifest(m), { variant: 'wasm' });
  }, manifest(false));
  const servedResume = (await faults.stats())['bench/unet/model.onnx'];
  const resentAbort = servedBeforeResume + (servedResume?.bodyBytes ?? Number.NaN) - bytes;
  console.log(
    `  re-sent after an abort at ${partial} bytes and a later resume: ${resentAbort} bytes (${servedBeforeResume} sent before the abort, ranges ${JSON.stringify(servedResume?.ranges)})`,
  );
  console.log(`  (bytes sent before an abort but not yet written count as re-sent; the goal is <= one checkpoint of ${CHECKPOINT} bytes)\n`);
} finally {
  await context.close();
  await server.stop();
  rmSync(profile, { recursive: true, force: true });
}
