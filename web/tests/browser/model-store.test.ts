import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DownloadProgress } from '@hybridgen/core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { watchPage } from '../harness/browser.js';
import { useSuite } from '../harness/fixtures.js';
import { makeModelsDir, mirrorFaults, type TestModel, writeTestModel } from '../harness/mirror.js';

const MB = 1_000_000;
const modelsDir = makeModelsDir();
// One model per test, so request counters never mix.
const resumeModel = writeTestModel(
  modelsDir,
  'resume',
  [
    { role: 'text_encoder', path: 'text_encoder/model.onnx', bytes: 3 * MB + 17, pin: true },
    { role: 'unet', path: 'unet/model.onnx', bytes: 6 * MB + 5, pin: false },
  ],
  1,
);
const abortModel = writeTestModel(modelsDir, 'abort', [{ role: 'unet', path: 'unet/model.onnx', bytes: 6 * MB, pin: false }], 2);
const corruptModel = writeTestModel(
  modelsDir,
  'corrupt',
  [
    { role: 'text_encoder', path: 'text_encoder/model.onnx', bytes: 2 * MB, pin: true },
    { role: 'unet', path: 'unet/model.onnx', bytes: 3 * MB, pin: true },
  ],
  3,
);
const sidecarModel = writeTestModel(modelsDir, 'sidecar', [{ role: 'unet', path: 'unet/model.onnx', bytes: 2 * MB, pin: false }], 4);
const quotaModel = writeTestModel(modelsDir, 'quota', [{ role: 'unet', path: 'unet/model.onnx', bytes: 5 * MB, pin: true }], 5);
const tabsModel = writeTestModel(
  modelsDir,
  'tabs',
  [
    { role: 'text_encoder', path: 'text_encoder/model.onnx', bytes: 1 * MB, pin: true },
    { role: 'unet', path: 'unet/model.onnx', bytes: 3 * MB, pin: false },
  ],
  6,
);
const offlineModel = writeTestModel(modelsDir, 'offline', [{ role: 'vae_decoder', path: 'vae_decoder/model.onnx', bytes: 2 * MB + 1, pin: false }], 7);
const progressModel = writeTestModel(
  modelsDir,
  'progress',
  [
    { role: 'text_encoder', path: 'text_encoder/model.onnx', bytes: 1 * MB + 3, pin: true },
    { role: 'unet', path: 'unet/model.onnx', bytes: 4 * MB + 1, pin: false },
    { role: 'vae_decoder', path: 'vae_decoder/model.onnx', bytes: 2 * MB, pin: true },
  ],
  8,
);

const ignoredModel = writeTestModel(modelsDir, 'ignored', [{ role: 'unet', path: 'unet/model.onnx', bytes: 4 * MB, pin: false }], 9);
const changedModel = writeTestModel(modelsDir, 'changed', [{ role: 'unet', path: 'unet/model.onnx', bytes: 4 * MB, pin: false }], 10);

const listedModel = writeTestModel(modelsDir, 'listed', [{ role: 'unet', path: 'unet/model.onnx', bytes: 1 * MB, pin: true }], 12);
// Served beside its files with a relative baseUrl, as generated test models are.
writeFileSync(join(modelsDir, 'listed', 'manifest.json'), JSON.stringify({ ...listedModel.manifest, baseUrl: './' }));

// Corrupt the served bytes after the manifest pinned the good hashes.
const flip = (model: TestModel, index: number, at: number): void => {
  const file = model.files[index];
  if (!file) throw new Error('no such file');
  const bad = Buffer.from(file.data);
  bad[at] = (bad[at] ?? 0) ^ 0xff;
  writeFileSync(join(modelsDir, model.id, file.path), bad);
};
flip(corruptModel, 1, 1_234_567);
// The sidecar `models pull` writes records the good hash; the file rots afterwards.
const sidecarFile = sidecarModel.files[0];
if (!sidecarFile) throw new Error('no sidecar file');
writeFileSync(join(modelsDir, 'sidecar', 'unet', '.model.onnx.sha256'), JSON.stringify({ sha256: sidecarFile.sha256, bytes: sidecarFile.bytes }));
flip(sidecarModel, 0, 999);

type Variant = 'wasm';
interface RunState {
  events: DownloadProgress[];
  result: { source: string; requestId: string } | null;
  error: { name: string; message: string; fields: Record<string, unknown> } | null;
  settled: boolean;
}

async function open(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  watchPage(page);
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true' && 'hgStore' in window);
  return page;
}

function start(page: Page, id: string, model: TestModel, store: Record<string, unknown> = {}): Promise<void> {
  return page.evaluate(([id, manifest, store]) => window.hgStore.start(id, manifest, { variant: 'wasm' as Variant, store }), [
    id,
    model.manifest,
    store,
  ] as const);
}

async function settle(page: Page, id: string, timeout = 60_000): Promise<RunState> {
  await page.waitForFunction((id) => window.hgStore.run(id)?.settled === true, id, { timeout, polling: 50 });
  return (await page.evaluate((id) => window.hgStore.run(id), id)) as unknown as RunState;
}

/** Starts a throttled download, aborts it past `bytes`, and returns the partial size kept in OPFS. */
async function partialDownload(page: Page, id: string, model: TestModel, bytes: number): Promise<number> {
  await start(page, id, model);
  await page.waitForFunction(
    ([id, bytes]) => (window.hgStore.run(id)?.events ?? []).some((e) => e.status === 'downloading' && e.doneBytes > bytes),
    [id, bytes] as const,
    {
      polling: 20,
    },
  );
  await page.evaluate((id) => window.hgStore.abort(id), id);
  expect((await settle(page, id)).error?.name).toBe('AbortError');
  const file = model.files[0];
  return (await page.evaluate(() => window.hgStore.opfsListing()))[`hybridgen-models/${model.id}/${file?.path}`] ?? 0;
}

function readStored(page: Page, model: TestModel) {
  return page.evaluate(([manifest]) => window.hgStore.readStored(manifest, 'wasm'), [model.manifest] as const);
}

describe('model store against the Go mirror', () => {
  const suite = useSuite({ webgpu: false, server: { args: ['-models-dir', modelsDir, '-mirror-test-faults'] } });
  const contexts: BrowserContext[] = [];
  const newContext = async (): Promise<BrowserContext> => {
    const context = await suite().browser.newContext();
    contexts.push(context);
    return context;
  };
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    await mirrorFaults(suite().server.url).reset();
  });

  it('resumes a download cut at an arbitrary byte from the bytes it kept, and the bytes hash correctly', async () => {
    const faults = mirrorFaults(suite().server.url);
    const cut = 2_345_679;
    await faults.set({ path: 'resume/unet/model.onnx', dropAfterBytes: cut });
    const page = await open(await newContext(), suite().server.url);
    await start(page, 'r', resumeModel);
    const state = await settle(page, 'r');
    expect(state.error).toBeNull();
    expect(state.result?.source).toBe('downloaded');

    // The worker resumes from the bytes it wrote. Those are all `cut` bytes when it kept up with the
    // body; on a busy CPU it lets other tasks in (an abort) every few ms, and the connection's
    // error can then arrive first and drop the body's unread tail: it resumes from what it holds.
    const resumed = state.events.find((e) => e.status === 'downloading' && e.resumedFrom > 0);
    expect(resumed).toMatchObject({ file: { path: 'unet/model.onnx' } });
    const kept = resumed?.status === 'downloading' ? resumed.resumedFrom : 0;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(cut);
    const stats = (await faults.stats())['resume/unet/model.onnx'];
    expect(stats?.dropped).toBe(1);
    expect(stats?.get).toBe(2);
    expect(stats?.ranges).toEqual([`bytes=${kept}-`]);
    // No byte it had written came over the wire twice.
    expect(stats?.bodyBytes).toBe(cut + (resumeModel.files[1]?.bytes ?? 0) - kept);
    const logged = suite().server.logs.filter((l) => l.includes('"path":"/models/resume/unet/model.onnx"'));
    expect(logged.some((l) => l.includes(`"range":"bytes=${kept}-"`) && l.includes('"status":206'))).toBe(true);
    expect(logged.some((l) => l.includes('"aborted":true'))).toBe(true);

    const stored = await readStored(page, resumeModel);
    expect(stored.map((s) => [s.path, s.bytes, s.sha256])).toEqual(resumeModel.files.map((f) => [f.path, f.bytes, f.sha256]));
    expect(stored.map((s) => s.verifiedBy)).toEqual(['pinned', 'server']);
  });

  it('keeps the partial file on abort and resumes it in a later call with Range + If-Range', async () => {
    const faults = mirrorFaults(suite().server.url);
    await faults.set({ path: 'abort/unet/model.onnx', bytesPerSecond: 4 * MB });
    const page = await open(await newContext(), suite().server.url);
    await start(page, 'a1', abortModel);
    await page.waitForFunction(() => (window.hgStore.run('a1')?.events ?? []).some((e) => e.status === 'downloading' && e.doneBytes > 1_500_000), null, {
      polling: 20,
    });
    await page.evaluate(() => window.hgStore.abort('a1'));
    const aborted = await settle(page, 'a1');
    expect(aborted.error?.name).toBe('AbortError');
    const partial = (await page.evaluate(() => window.hgStore.opfsListing()))['hybridgen-models/abort/unet/model.onnx'] ?? 0;
    expect(partial).toBeGreaterThan(1_000_000);
    expect(partial).toBeLessThan(abortModel.totalBytes);
    const status = await page.evaluate(([m]) => new window.hgStore.ModelStore().status(window.hg.core.parseManifest(m), 'wasm'), [
      abortModel.manifest,
    ] as const);
    expect(status).toMatchObject({ state: 'partial', storedBytes: partial });

    await faults.reset();
    await start(page, 'a2', abortModel);
    const state = await settle(page, 'a2');
    expect(state.error).toBeNull();
    const stats = (await faults.stats())['abort/unet/model.onnx'];
    expect(stats?.ranges).toEqual([`bytes=${partial}-`]);
    expect(stats?.bodyBytes).toBe(abortModel.totalBytes - partial);
    const [stored] = await readStored(page, abortModel);
    expect(stored?.sha256).toBe(abortModel.files[0]?.sha256);
  });

  it('restarts cleanly when the server ignores Range', async () => {
    const faults = mirrorFaults(suite().server.url);
    await faults.set({ path: 'ignored/unet/model.onnx', bytesPerSecond: 4 * MB });
    const page = await open(await newContext(), suite().server.url);
    const partial = await partialDownload(page, 'i1', ignoredModel, 1_000_000);
    expect(partial).toBeGreaterThan(0);
    await faults.reset();
    await faults.set({ path: 'ignored/unet/model.onnx', ignoreRange: true });
    await start(page, 'i2', ignoredModel);
    const state = await settle(page, 'i2');
    expect(state.error).toBeNull();
    const stats = (await faults.stats())['ignored/unet/model.onnx'];
    expect(stats?.ranges).toEqual([`bytes=${partial}-`]);
    expect(stats?.bodyBytes).toBe(ignoredModel.totalBytes);
    expect(state.events.filter((e) => e.status === 'downloading').map((e) => e.resumedFrom)).not.toContain(partial);
    const [stored] = await readStored(page, ignoredModel);
    expect(stored?.sha256).toBe(ignoredModel.files[0]?.sha256);
  });

  it('restarts cleanly when the file changed on the server (If-Range no longer matches)', async () => {
    const faults = mirrorFaults(suite().server.url);
    await faults.set({ path: 'changed/unet/model.onnx', bytesPerSecond: 4 * MB });
    const page = await open(await newContext(), suite().server.url);
    const partial = await partialDownload(page, 'e1', changedModel, 1_000_000);
    await faults.reset();
    const replacement = writeTestModel(modelsDir, 'changed', [{ role: 'unet', path: 'unet/model.onnx', bytes: 4 * MB, pin: false }], 11);
    await start(page, 'e2', changedModel);
    const state = await settle(page, 'e2');
    expect(state.error).toBeNull();
    const stats = (await faults.stats())['changed/unet/model.onnx'];
    expect(stats?.ranges).toEqual([`bytes=${partial}-`]);
    expect(stats?.bodyBytes).toBe(changedModel.totalBytes); // a 200 with the whole new file, not a 206
    const [stored] = await readStored(page, changedModel);
    expect(stored?.sha256).toBe(replacement.files[0]?.sha256);
    expect(stored?.sha256).not.toBe(changedModel.files[0]?.sha256);
  });

  it('detects a file corrupted on the server, deletes it, reports it and never hands it out', async () => {
    const page = await open(await newContext(), suite().server.url);
    await start(page, 'c', corruptModel);
    const state = await settle(page, 'c');
    expect(state.error?.name).toBe('IntegrityError');
    expect(state.error?.fields).toMatchObject({ path: 'unet/model.onnx', expectedSha256: corruptModel.files[1]?.sha256, expectedFrom: 'pinned' });
    expect(state.events.at(-1)).toMatchObject({ status: 'error', error: { name: 'IntegrityError' } });
    const listing = await page.evaluate(() => window.hgStore.opfsListing());
    expect(listing['hybridgen-models/corrupt/unet/model.onnx']).toBeUndefined();
    expect(listing['hybridgen-models/corrupt/text_encoder/model.onnx']).toBe(corruptModel.files[0]?.bytes);
    const handed = await page.evaluate(([m]) => window.hgStore.readStored(m, 'wasm').catch((e: Error) => ({ name: e.name, message: e.message })), [
      corruptModel.manifest,
    ] as const);
    expect(handed).toMatchObject({ name: 'ModelNotReadyError' });
    expect((handed as { message: string }).message).toContain('unet/model.onnx');

    // Without a pinned hash, the server's recorded hash (the sidecar `models pull` wrote) catches it too.
    await start(page, 's', sidecarModel);
    const sidecar = await settle(page, 's');
    expect(sidecar.error?.name).toBe('IntegrityError');
    expect(sidecar.error?.fields).toMatchObject({ expectedSha256: sidecarModel.files[0]?.sha256, expectedFrom: 'server' });
    expect((await page.evaluate(() => window.hgStore.opfsListing()))['hybridgen-models/sidecar/unet/model.onnx']).toBeUndefined();
  });

  it('fails before writing anything when the origin quota is too small', async () => {
    const context = await newContext();
    const page = await open(context, suite().server.url);
    const cdp = await context.newCDPSession(page);
    const origin = new URL(suite().server.url).origin;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 2 * MB });
    await start(page, 'q', quotaModel);
    const state = await settle(page, 'q');
    expect(state.error?.name, JSON.stringify(state.error)).toBe('QuotaError');
    expect(state.error?.message).toMatch(/5\.0 MB needed, [0-9.]+ MB available/);
    expect(state.error?.fields.neededBytes).toBe(quotaModel.totalBytes);
    expect(state.error?.fields.availableBytes as number).toBeLessThanOrEqual(2 * MB);
    expect(await page.evaluate(() => window.hgStore.opfsListing())).toEqual({});
    expect((await mirrorFaults(suite().server.url).stats())['quota/unet/model.onnx']).toBeUndefined();
  });

  it('lets one of two tabs download the model; the other follows and both end ready', async () => {
    const faults = mirrorFaults(suite().server.url);
    await faults.set({ path: 'tabs/unet/model.onnx', bytesPerSecond: 2 * MB });
    const context = await newContext();
    const [first, second] = await Promise.all([open(context, suite().server.url), open(context, suite().server.url)]);
    if (!first || !second) throw new Error('no pages');
    // The second tab asks while the first is downloading (the throttled unet takes 1.5 s).
    await start(first, 't', tabsModel);
    await first.waitForFunction(() => (window.hgStore.run('t')?.events ?? []).some((e) => e.status === 'downloading'), null, { polling: 20 });
    await start(second, 't', tabsModel);
    const [a, b] = await Promise.all([settle(first, 't'), settle(second, 't')]);
    expect(a.error).toBeNull();
    expect(b.error).toBeNull();
    expect([a.result?.source, b.result?.source]).toEqual(['downloaded', 'other-tab']);
    const follower = b;
    expect(follower.events.some((e) => e.status === 'queued' && e.reason === 'waiting-for-other-tab')).toBe(true);
    expect(follower.events.some((e) => e.fromOtherTab && e.status === 'downloading')).toBe(true);
    const stats = await faults.stats();
    expect(stats['tabs/unet/model.onnx']?.get).toBe(1);
    expect(stats['tabs/text_encoder/model.onnx']?.get).toBe(1);
    for (const page of [first, second]) {
      const stored = await readStored(page, tabsModel);
      expect(stored.map((s) => s.sha256)).toEqual(tabsModel.files.map((f) => f.sha256));
    }
  });

  it('loads the stored files from OPFS offline after a reload', async () => {
    const context = await newContext();
    const page = await open(context, suite().server.url);
    await page.evaluate(() => window.hgStore.installOfflineShell());
    await page.reload(); // every file of the page now goes through the service worker and into its cache
    await page.waitForFunction(() => 'hgStore' in window && navigator.serviceWorker.controller !== null);
    await start(page, 'o', offlineModel);
    expect((await settle(page, 'o')).error).toBeNull();

    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => 'hgStore' in window);
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    const stored = await readStored(page, offlineModel);
    expect(stored).toEqual([expect.objectContaining({ path: 'vae_decoder/model.onnx', sha256: offlineModel.files[0]?.sha256, verifiedBy: 'server' })]);
    // Asking for it again is answered from OPFS, with no network.
    await start(page, 'o2', offlineModel);
    const again = await settle(page, 'o2');
    expect(again.error).toBeNull();
    expect(again.result?.source).toBe('already-stored');
    expect((await mirrorFaults(suite().server.url).stats())['offline/vae_decoder/model.onnx']?.get).toBe(1);
  });

  it('loads a manifest with a relative baseUrl, lists stored models with sizes, reports usage and deletes one', async () => {
    const page = await open(await newContext(), suite().server.url);
    const result = await page.evaluate(async () => {
      const { core } = window.hg;
      const manifest = await core.loadManifest('/models/listed/manifest.json');
      const store = window.hg.newStore();
      const download = await store.download(manifest, { variant: 'wasm' });
      const listed = await store.list();
      const usage = await store.usage();
      await store.delete(manifest.id);
      return { baseUrl: manifest.baseUrl, download, listed, usage, after: await store.list(), status: await store.status(manifest, 'wasm') };
    });
    expect(result.baseUrl).toBe(`${suite().server.url}/models/listed/`);
    expect(result.download.source).toBe('downloaded');
    expect(result.listed).toEqual([
      {
        modelId: 'listed',
        bytes: expect.any(Number),
        files: { 'unet/model.onnx': expect.objectContaining({ bytes: listedModel.totalBytes, sha256: listedModel.files[0]?.sha256, verifiedBy: 'pinned' }) },
      },
    ]);
    expect(result.listed[0]?.bytes).toBeGreaterThanOrEqual(listedModel.totalBytes);
    expect(result.usage.modelBytes).toBe(result.listed[0]?.bytes);
    expect(result.usage.originQuotaBytes).toBeGreaterThan(0);
    expect(result.after).toEqual([]);
    expect(result.status).toMatchObject({ state: 'absent', storedBytes: 0 });
  });

  it('sends progress events in order whose totals add up, ending at 100 %', async () => {
    // Throttled so speed and ETA have samples to work from.
    await mirrorFaults(suite().server.url).set({ path: 'progress/unet/model.onnx', bytesPerSecond: 8 * MB });
    const page = await open(await newContext(), suite().server.url);
    await start(page, 'p', progressModel, { progressIntervalMs: 0 });
    const { events, error } = await settle(page, 'p');
    expect(error).toBeNull();
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]).toMatchObject({ status: 'queued', reason: 'starting' });
    const last = events.at(-1);
    expect(last).toMatchObject({ status: 'done', scope: 'model', fraction: 1, doneBytes: progressModel.totalBytes, totalBytes: progressModel.totalBytes });
    const working = events.filter((e) => e.status !== 'queued');
    for (const e of working) expect(e.totalBytes).toBe(progressModel.totalBytes);
    for (let i = 1; i < events.length; i++) expect(events[i]?.doneBytes).toBeGreaterThanOrEqual(events[i - 1]?.doneBytes ?? 0);
    for (const e of working) {
      if (e.file) expect(e.file.doneBytes).toBeLessThanOrEqual(e.file.bytes);
      expect(e.fraction).toBeCloseTo(e.doneBytes / e.totalBytes, 10);
    }
    // Per file: downloading..., verifying, done; files one after another.
    const order = working.filter((e) => e.scope === 'file').map((e) => `${e.file?.path}:${e.status}`);
    const compact = order.filter((s, i) => s !== order[i - 1]);
    expect(compact).toEqual(progressModel.files.flatMap((f) => [`${f.path}:downloading`, `${f.path}:verifying`, `${f.path}:done`]));
    const fileDone = working.filter((e) => e.status === 'done' && e.scope === 'file');
    expect(fileDone.map((e) => e.file?.bytes)).toEqual(progressModel.files.map((f) => f.bytes));
    expect(working.filter((e) => e.status === 'downloading').some((e) => e.bytesPerSecond > 0 && e.etaSeconds !== null)).toBe(true);
  });
});
