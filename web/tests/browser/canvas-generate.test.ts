import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageShape, openApp, snapShape } from '../harness/app.js';
import { launchChromium } from '../harness/browser.js';
import { emulatorTargetsFile, type RunningEmulator, startEmulator } from '../harness/emulator.js';
import { mirrorArgs } from '../harness/engine-models.js';
import { useSuite } from '../harness/fixtures.js';
import { type RunningServer, startServer } from '../harness/server.js';

async function usage(server: RunningServer): Promise<{ local_drafts: number; cloud_jobs: number; cost_usd: number }> {
  return ((await (await fetch(`${server.url}/api/usage`)).json()) as { total: { local_drafts: number; cloud_jobs: number; cost_usd: number } }).total;
}

// One page per describe, shared by its tests in order (opening the app and loading the model cost
// most of a test here): the first test downloads the model, the later ones find it stored.
describe('the canvas app without a cloud target (as `make run` starts it)', () => {
  const suite = useSuite({ webgpu: false, server: { webDir: null, args: mirrorArgs } });
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  beforeAll(async () => {
    // Wide enough for the three shapes side by side (a new shape moves right of those it would cover).
    context = await suite().browser.newContext({ viewport: { width: 1600, height: 800 } });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await openApp(page, suite().server.url);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('makes a Quick Preview locally after downloading the model with progress, at cost 0, in the ledger', async () => {
    const { server } = suite();
    const shape = await createImageShape(page);
    await shape.getByTestId('hg-prompt').fill('a red fox in the snow');
    await shape.getByTestId('hg-mode-preview').click();
    expect(await shape.getAttribute('data-status')).toBe('idle');
    await snapShape(shape, 'shape-idle');
    // Record what the shape shows while it works: the download progress, then the generation.
    await page.evaluate(() => {
      const w = window as unknown as { seen: { at: number; text: string }[] };
      w.seen = [];
      new MutationObserver(() => {
        const status = document.querySelector('[data-testid="hg-shape"]')?.getAttribute('data-status');
        const text = `${status}: ${document.querySelector('[data-testid="hg-status"]')?.textContent ?? ''}`;
        if (w.seen.at(-1)?.text !== text) w.seen.push({ at: performance.now(), text });
      }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 90_000 }).toBe('done');
    const texts = await page.evaluate(() => (window as unknown as { seen: { text: string }[] }).seen.map((s) => s.text));
    expect(texts.some((t) => /^downloading: Downloading .+: [\d.]+ [kM]?B of [\d.]+ MB/.test(t))).toBe(true);
    expect(texts.some((t) => t.startsWith('generating: Step 1 of 1'))).toBe(true);
    const result = shape.getByTestId('hg-result');
    expect(await result.getAttribute('data-source')).toBe('local');
    expect(await result.textContent()).toMatch(/On this device · WebAssembly · \$0/);
    const img = shape.getByTestId('hg-image');
    // The asset store resolves the image's URL asynchronously: wait for the decoded picture.
    await expect.poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 30_000 }).toBe(512);
    expect(await usage(server)).toMatchObject({ local_drafts: 1, cloud_jobs: 0, cost_usd: 0 });
    await snapShape(shape, 'shape-draft-local');

    // The model is loaded now. In Quick Preview a pause in typing starts a live preview; it runs in
    // the worker and must leave the main thread free.
    await page.evaluate(() => {
      const w = window as unknown as { longTasks: number[] };
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.longTasks.push(e.duration);
      }).observe({ type: 'longtask' });
    });
    const firstImage = await img.getAttribute('src');
    await shape.getByTestId('hg-prompt').fill('a red fox in the snow, at night');
    await expect.poll(async () => (await usage(server)).local_drafts, { timeout: 90_000 }).toBe(2);
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
    // The new asset's URL is resolved asynchronously after the status turns done.
    await expect.poll(() => img.getAttribute('src')).not.toBe(firstImage);
    await page.waitForTimeout(200);
    const longTasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
    expect(errors).toEqual([]);
    expect(longTasks.filter((ms) => ms > 50)).toEqual([]);

    // A burst of keystrokes makes one preview, for the last text only.
    await shape.getByTestId('hg-prompt').pressSequentially(' under stars', { delay: 40 });
    await expect.poll(async () => (await usage(server)).local_drafts, { timeout: 90_000 }).toBe(3);
    await page.waitForTimeout(1500);
    expect((await usage(server)).local_drafts).toBe(3);
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
    expect(await img.getAttribute('alt')).toBe('a red fox in the snow, at night under stars');
  });

  it('renders High Quality locally at HQ settings, labelled so, when no cloud target exists', async () => {
    const shape = await createImageShape(page, { x: 820, y: 330 });
    await shape.getByTestId('hg-prompt').fill('a lighthouse');
    await shape.getByTestId('hg-mode-hq').click();
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 90_000 }).toBe('done');
    expect(await shape.getByTestId('hg-result').textContent()).toMatch(/On this device · WebAssembly · \$0/);
    expect(await shape.getByTestId('hg-status').textContent()).toMatch(
      /^Rendered on this device \(WebAssembly\) at High Quality settings in [\d.]+ s: no cloud target is configured$/,
    );
    await snapShape(shape, 'shape-hq-local');
    expect(errors).toEqual([]);
  });

  it('after the first download, opens offline and makes a Quick Preview from the stored model', async () => {
    await page.waitForFunction(() => document.documentElement.dataset.serviceWorker === 'controlled', undefined, { timeout: 60_000 });
    const shapes = page.locator('[data-testid="hg-shape"]');
    const before = await shapes.count();
    expect(before).toBeGreaterThan(0);

    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.services === 'ready', undefined, { timeout: 60_000 });
    await page.locator('.tl-canvas').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    // The shapes came back from the canvas's storage, not stuck in a running state.
    await expect.poll(() => shapes.count(), { timeout: 10_000 }).toBe(before);
    for (const status of await shapes.evaluateAll((els) => els.map((el) => el.getAttribute('data-status') ?? ''))) {
      expect(status).not.toMatch(/generating|loading|downloading|queued/);
    }
    const shape = await createImageShape(page, { x: 1300, y: 400 });
    // Typed in Auto, then switched: the click below starts the draft (no live preview racing it).
    await shape.getByTestId('hg-prompt').fill('the same cabin, offline');
    await shape.getByTestId('hg-mode-preview').click();
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 90_000 }).toBe('done');
    expect(await shape.getByTestId('hg-result').getAttribute('data-source')).toBe('local');
  });
});

describe('the canvas app with the RunPod emulator as its cloud target', () => {
  let emulator: RunningEmulator;
  let server: RunningServer;
  let browser: Browser;
  beforeAll(async () => {
    emulator = await startEmulator({ executionTime: '500ms' });
    const targets = emulatorTargetsFile(emulator);
    [server, browser] = await Promise.all([
      startServer({ webDir: null, args: [...mirrorArgs, '-targets', targets.path, '-poll-interval', '100ms'], env: targets.env }),
      launchChromium({ webgpu: false }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await emulator?.stop();
  });
  /** The page the first two tests share (the second draws its shape beside the first's). */
  let shared: Page;

  it('renders High Quality in the cloud and shows its cost', async () => {
    const context = await browser.newContext();
    shared = await context.newPage();
    const page = shared;
    await openApp(page, server.url);
    const shape = await createImageShape(page);
    await shape.getByTestId('hg-prompt').fill('a castle on a hill');
    await shape.getByTestId('hg-mode-hq').click();
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 60_000 }).toBe('done');
    const result = shape.getByTestId('hg-result');
    expect(await result.getAttribute('data-source')).toBe('cloud');
    expect(await result.textContent()).toMatch(/Cloud · emulated-sdxl · \$0\.0\d+/);
    expect(await usage(server)).toMatchObject({ cloud_jobs: 1 });
    await snapShape(shape, 'shape-hq-cloud');
  });

  it('drafts locally in Auto, then renders the keeper in HQ in the cloud from that draft', async () => {
    const page = shared;
    const shape = await createImageShape(page, { x: 820, y: 330 });
    await shape.getByTestId('hg-prompt').fill('a windmill by a canal');
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 90_000 }).toBe('done');
    expect(await shape.getByTestId('hg-result').getAttribute('data-source')).toBe('local');
    const draftCost = await usage(server);
    await shape.getByTestId('hg-render-hq').click();
    await expect.poll(async () => (await usage(server)).cloud_jobs, { timeout: 60_000 }).toBe(draftCost.cloud_jobs + 1);
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 60_000 }).toBe('done');
    expect(await shape.getByTestId('hg-result').getAttribute('data-source')).toBe('cloud');
    expect(await shape.getByTestId('hg-result').textContent()).toMatch(/Cloud · emulated-sdxl · \$0\.0\d+/);
    // A final has nothing left to render in HQ.
    expect(await shape.getByTestId('hg-render-hq').count()).toBe(0);
    await page.context().close();
  });

  it('falls back to the cloud in Auto when the local path fails, and says why', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // The model mirror is unreachable for this page: the local download fails.
    const refused = new Map<string, number>();
    await page.route('**/models/test-tiny-sd/fp32/**', (route) => {
      const path = new URL(route.request().url()).pathname;
      refused.set(path, (refused.get(path) ?? 0) + 1);
      return route.abort('connectionrefused');
    });
    await openApp(page, server.url);
    const shape = await createImageShape(page);
    await shape.getByTestId('hg-prompt').fill('a sailing boat');
    // Quick Preview never leaves the device: the failure is shown, with a Retry.
    await shape.getByTestId('hg-mode-preview').click();
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 90_000 }).toBe('error');
    expect(await shape.getByTestId('hg-error').textContent()).toMatch(/^On this device: /);
    expect(await shape.getByTestId('hg-error').textContent()).not.toMatch(/https?:|Error:/);
    await expect(shape.getByTestId('hg-retry').isVisible()).resolves.toBe(true);
    // An unreachable mirror is detected, not retried with the full back-off: two tries, then the error.
    expect(await shape.getByTestId('hg-error').textContent()).toBe('On this device: the model server cannot be reached');
    expect(Math.max(...refused.values())).toBeLessThanOrEqual(2);
    await snapShape(shape, 'shape-error');
    await shape.getByTestId('hg-mode-auto').click();
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 90_000 }).toBe('done');
    expect(await shape.getByTestId('hg-result').getAttribute('data-source')).toBe('cloud');
    expect(await shape.getByTestId('hg-status').textContent()).toMatch(/^Rendered in the cloud \(emulated-sdxl\) in [\d.]+ s: this device could not \(.+\)$/);
    await snapShape(shape, 'shape-auto-fallback');
    await context.close();
  });
});
