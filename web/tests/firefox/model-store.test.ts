// The model store (OPFS, sync access handles in its worker, Web Locks, BroadcastChannel, the
// service worker) in the browser the Firefox project runs, against the Go mirror's test faults:
// resume after a cut, corruption caught, quota, two tabs one download, offline reload.

import { writeFileSync } from 'node:fs';
import type { DownloadProgress } from '@hybridgen/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { TestContext, TestLaunchOptions, TestPage } from '../harness/driver.js';
import { useCrossSuite } from '../harness/fixtures.js';
import { makeModelsDir, mirrorFaults, type TestModel, writeTestModel } from '../harness/mirror.js';

const MB = 1_000_000;
const modelsDir = makeModelsDir();
const resumeModel = writeTestModel(
  modelsDir,
  'resume',
  [
    { role: 'text_encoder', path: 'text_encoder/model.onnx', bytes: 2 * MB + 17, pin: true },
    { role: 'unet', path: 'unet/model.onnx', bytes: 4 * MB + 5, pin: false },
  ],
  21,
);
const corruptModel = writeTestModel(modelsDir, 'corrupt', [{ role: 'unet', path: 'unet/model.onnx', bytes: 3 * MB, pin: true }], 22);
const quotaModel = writeTestModel(modelsDir, 'quota', [{ role: 'unet', path: 'unet/model.onnx', bytes: 50 * MB, pin: true }], 23);
const tabsModel = writeTestModel(modelsDir, 'tabs', [{ role: 'unet', path: 'unet/model.onnx', bytes: 3 * MB, pin: false }], 24);
const offlineModel = writeTestModel(modelsDir, 'offline', [{ role: 'vae_decoder', path: 'vae_decoder/model.onnx', bytes: 2 * MB + 1, pin: false }], 25);

// Corrupt the served bytes after the manifest pinned the good hash.
const corruptFile = corruptModel.files[0];
if (!corruptFile) throw new Error('no corrupt file');
const bad = Buffer.from(corruptFile.data);
bad[1_234_567] = (bad[1_234_567] ?? 0) ^ 0xff;
writeFileSync(`${modelsDir}/corrupt/${corruptFile.path}`, bad);

interface RunState {
  events: DownloadProgress[];
  result: { source: string; requestId: string; persisted: boolean } | null;
  error: { name: string; message: string; fields: Record<string, unknown> } | null;
  settled: boolean;
}

const serverArgs = { args: ['-models-dir', modelsDir, '-mirror-test-faults'] };

async function open(context: TestContext, url: string): Promise<TestPage> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true' && 'hgStore' in window);
  return page;
}

function start(page: TestPage, id: string, model: TestModel): Promise<void> {
  return page.evaluate(([id, manifest]) => window.hgStore.start(id, manifest, { variant: 'wasm', store: {} }), [id, model.manifest] as const);
}

async function settle(page: TestPage, id: string): Promise<RunState> {
  await page.waitForFunction((id) => window.hgStore.run(id)?.settled === true, id);
  return (await page.evaluate((id) => window.hgStore.run(id), id)) as unknown as RunState;
}

function readStored(page: TestPage, model: TestModel) {
  return page.evaluate(([manifest]) => window.hgStore.readStored(manifest, 'wasm'), [model.manifest] as const);
}

/** A suite whose contexts are closed and mirror faults reset after each test. */
function useStoreSuite(launch: TestLaunchOptions) {
  const suite = useCrossSuite({ ...launch, server: serverArgs });
  const contexts: TestContext[] = [];
  const newContext = async (): Promise<TestContext> => {
    const context = await suite().browser.newContext();
    contexts.push(context);
    return context;
  };
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
    await mirrorFaults(suite().server.url).reset();
  });
  return { suite, newContext };
}

describe('model store against the Go mirror', () => {
  const { suite, newContext } = useStoreSuite({ webgpu: false });

  it('resumes a download cut at an arbitrary byte from that byte, and the bytes hash correctly', async () => {
    const faults = mirrorFaults(suite().server.url);
    const cut = 1_345_679;
    await faults.set({ path: 'resume/unet/model.onnx', dropAfterBytes: cut });
    const page = await open(await newContext(), suite().server.url);
    await start(page, 'r', resumeModel);
    const state = await settle(page, 'r');
    expect(state.error).toBeNull();
    // Firefox answers persist() with a permission prompt nobody answers here: the download must not wait for it.
    expect(state.result).toMatchObject({ source: 'downloaded', persisted: false });
    const stats = (await faults.stats())['resume/unet/model.onnx'];
    expect(stats).toMatchObject({ dropped: 1, get: 2, ranges: [`bytes=${cut}-`], bodyBytes: resumeModel.files[1]?.bytes });
    expect(state.events.find((e) => e.status === 'downloading' && e.resumedFrom > 0)).toMatchObject({ resumedFrom: cut, file: { path: 'unet/model.onnx' } });
    const stored = await readStored(page, resumeModel);
    expect(stored.map((s) => [s.path, s.bytes, s.sha256])).toEqual(resumeModel.files.map((f) => [f.path, f.bytes, f.sha256]));
    expect(stored.map((s) => s.verifiedBy)).toEqual(['pinned', 'server']);
  });

  it('detects a file corrupted on the server, deletes it, reports it and never hands it out', async () => {
    const page = await open(await newContext(), suite().server.url);
    await start(page, 'c', corruptModel);
    const state = await settle(page, 'c');
    expect(state.error?.name).toBe('IntegrityError');
    expect(state.error?.fields).toMatchObject({ path: 'unet/model.onnx', expectedSha256: corruptFile.sha256, expectedFrom: 'pinned' });
    expect((await page.evaluate(() => window.hgStore.opfsListing()))['hybridgen-models/corrupt/unet/model.onnx']).toBeUndefined();
    const handed = await page.evaluate(([m]) => window.hgStore.readStored(m, 'wasm').catch((e: Error) => ({ name: e.name, message: e.message })), [
      corruptModel.manifest,
    ] as const);
    expect(handed).toMatchObject({ name: 'ModelNotReadyError' });
  });

  it('lets one of two tabs download the model; the other follows and both end ready', async () => {
    const faults = mirrorFaults(suite().server.url);
    await faults.set({ path: 'tabs/unet/model.onnx', bytesPerSecond: 2 * MB });
    const context = await newContext();
    const [first, second] = await Promise.all([open(context, suite().server.url), open(context, suite().server.url)]);
    await start(first, 't', tabsModel);
    await first.waitForFunction(() => (window.hgStore.run('t')?.events ?? []).some((e) => e.status === 'downloading'));
    await start(second, 't', tabsModel);
    const [a, b] = await Promise.all([settle(first, 't'), settle(second, 't')]);
    expect(a.error).toBeNull();
    expect(b.error).toBeNull();
    expect([a.result?.source, b.result?.source]).toEqual(['downloaded', 'other-tab']);
    expect(b.events.some((e) => e.status === 'queued' && e.reason === 'waiting-for-other-tab')).toBe(true);
    expect((await faults.stats())['tabs/unet/model.onnx']?.get).toBe(1);
    for (const page of [first, second]) expect((await readStored(page, tabsModel)).map((s) => s.sha256)).toEqual(tabsModel.files.map((f) => f.sha256));
  });

  it('loads the stored files from OPFS offline after a reload through the service worker', async () => {
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
    expect(await readStored(page, offlineModel)).toEqual([expect.objectContaining({ path: 'vae_decoder/model.onnx', sha256: offlineModel.files[0]?.sha256 })]);
    await start(page, 'o2', offlineModel);
    const again = await settle(page, 'o2');
    expect(again.error).toBeNull();
    expect(again.result?.source).toBe('already-stored');
    expect((await mirrorFaults(suite().server.url).stats())['offline/vae_decoder/model.onnx']?.get).toBe(1);
  });
});

describe('model store with a small origin quota', () => {
  // Firefox: the quota manager's limit is a launch pref, so this gets a browser of its own.
  const { suite, newContext } = useStoreSuite({ webgpu: false, originQuotaBytes: 20 * MB });

  it('fails before writing anything when the model does not fit, saying how much is needed and available', async () => {
    const page = await open(await newContext(), suite().server.url);
    await start(page, 'q', quotaModel);
    const state = await settle(page, 'q');
    expect(state.error?.name, JSON.stringify(state.error)).toBe('QuotaError');
    expect(state.error?.message).toMatch(/50\.0 MB needed, [0-9.]+ MB available/);
    expect(state.error?.fields.neededBytes).toBe(quotaModel.totalBytes);
    expect(state.error?.fields.availableBytes as number).toBeLessThanOrEqual(20 * MB);
    expect(await page.evaluate(() => window.hgStore.opfsListing())).toEqual({});
    expect((await mirrorFaults(suite().server.url).stats())['quota/unet/model.onnx']).toBeUndefined();
  });
});
