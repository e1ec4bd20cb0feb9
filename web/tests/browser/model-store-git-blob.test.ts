// Files pinned by git's blob SHA-1 (Hugging Face's id of a file kept out of
// LFS, such as the CLIP tokenizer's vocab.json): the store hashes SHA-1
// beside SHA-256 in its hash pipeline, resumes both from a checkpoint, and
// refuses a file whose blob id is not the pinned one.
import { createHash } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { watchPage } from '../harness/browser.js';
import { useSuite } from '../harness/fixtures.js';
import { makeModelsDir, mirrorFaults, type TestModel, writeTestModel } from '../harness/mirror.js';

const MB = 1_000_000;
const modelsDir = makeModelsDir();
const gitBlobSha1 = (data: Uint8Array): string => createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

/** The model's manifest with each file pinned by its git blob SHA-1 only (or by `wrong`). */
function pinnedByGitBlob(model: TestModel, wrong?: string): unknown {
  const files = model.files.map((f) => ({ role: f.role, path: f.path, bytes: f.bytes, sha256: null, gitBlobSha1: wrong ?? gitBlobSha1(f.data) }));
  const requirements = { totalBytes: model.totalBytes, largestBufferBytes: 0, peakMemoryBytes: 0, needsShaderF16: false };
  return { ...model.manifest, variants: { wasm: { requirements, files } } };
}

const blobModel = writeTestModel(modelsDir, 'blob', [{ role: 'unet', path: 'unet/model.onnx', bytes: 6 * MB + 11, pin: false }], 41);
const badModel = writeTestModel(modelsDir, 'blob-bad', [{ role: 'unet', path: 'unet/model.onnx', bytes: 1 * MB, pin: false }], 42);

describe('model store: git blob SHA-1 pins', () => {
  const suite = useSuite({ webgpu: false, server: { args: ['-models-dir', modelsDir, '-mirror-test-faults'] } });
  let page: Page | null = null;
  afterEach(async () => {
    await page?.context().close();
    page = null;
    await mirrorFaults(suite().server.url).reset();
  });

  async function open(): Promise<Page> {
    const context = await suite().browser.newContext();
    const p = await context.newPage();
    watchPage(p);
    await p.goto(suite().server.url);
    await p.waitForFunction(() => document.documentElement.dataset.ready === 'true' && 'hgStore' in window);
    page = p;
    return p;
  }

  async function run(p: Page, id: string, manifest: unknown) {
    await p.evaluate(([id, manifest]) => window.hgStore.start(id, manifest, { variant: 'wasm', store: { checkpointBytes: 1_000_000 } }), [
      id,
      manifest,
    ] as const);
    await p.waitForFunction((id) => window.hgStore.run(id)?.settled === true, id, { timeout: 60_000, polling: 50 });
    return p.evaluate((id) => window.hgStore.run(id), id);
  }

  it('verifies a file pinned by git blob SHA-1, across an abort and a resume from a checkpoint', async () => {
    const p = await open();
    const faults = mirrorFaults(suite().server.url);
    await faults.set({ path: 'blob/unet/model.onnx', bytesPerSecond: 4 * MB });
    const manifest = pinnedByGitBlob(blobModel);
    await p.evaluate(([manifest]) => window.hgStore.start('b1', manifest, { variant: 'wasm', store: { checkpointBytes: 1_000_000 } }), [manifest] as const);
    await p.waitForFunction(() => (window.hgStore.run('b1')?.events ?? []).some((e) => e.status === 'downloading' && e.doneBytes > 1_600_000), null, {
      polling: 20,
    });
    await p.evaluate(() => window.hgStore.abort('b1'));
    await p.waitForFunction(() => window.hgStore.run('b1')?.settled === true);
    const partial = (await p.evaluate(() => window.hgStore.opfsListing()))['hybridgen-models/blob/unet/model.onnx'] ?? 0;
    expect(partial).toBeGreaterThan(1_000_000);
    expect(partial).toBeLessThan(blobModel.totalBytes);

    await faults.reset();
    const state = await run(p, 'b2', manifest);
    expect(state?.error).toBeNull();
    expect((await faults.stats())['blob/unet/model.onnx']?.ranges).toEqual([`bytes=${partial}-`]);
    const stored = await p.evaluate(([m]) => window.hgStore.readStored(m, 'wasm'), [manifest] as const);
    expect(stored.map((s) => [s.path, s.sha256, s.verifiedBy])).toEqual([['unet/model.onnx', blobModel.files[0]?.sha256, 'pinned']]);
  });

  it('refuses a file whose git blob SHA-1 is not the pinned one, with a typed IntegrityError', async () => {
    const p = await open();
    const wrong = gitBlobSha1(new TextEncoder().encode('another file'));
    const state = await run(p, 'bad', pinnedByGitBlob(badModel, wrong));
    expect(state?.error?.name).toBe('IntegrityError');
    expect(state?.error?.fields).toMatchObject({ path: 'unet/model.onnx', algorithm: 'git-blob-sha1', expectedSha256: wrong, expectedFrom: 'pinned' });
    expect(state?.error?.fields.actualSha256).toBe(gitBlobSha1(badModel.files[0]?.data ?? new Uint8Array()));
    expect((await p.evaluate(() => window.hgStore.opfsListing()))['hybridgen-models/blob-bad/unet/model.onnx']).toBeUndefined();
  });
});
