import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { draftQuickPreview, openApp, snapShape } from '../harness/app.js';
import { modelsDir as testModels } from '../harness/engine-models.js';
import { useSuite } from '../harness/fixtures.js';
import { hybridgenBinary, testsDir } from '../harness/paths.js';
import type { RunningServer } from '../harness/server.js';
import { pullEsrganSlim } from '../harness/upscaler-model.js';

// "Upscale 2x" on the canvas, end to end, with the REAL esrgan-slim weights (pulled from
// @upscalerjs/esrgan-slim's npm tarball by `hybridgen models pull`, as in upscale.test.ts): a picture
// dropped on the canvas, right-click, Upscale 2x; the result is a new image shape twice the size,
// linked to its source in meta (read back from the document tldraw persisted in IndexedDB), and a
// ledger row of task "upscale" at $0. Then the image-generation shape's own panel button, and
// "Remove background" (real MediaPipe selfie segmenter, as in remove-background.test.ts) the same way.
const run = promisify(execFile);
const SEGMENTER_PACKAGE = '@mediapipe/selfie_segmentation@0.1.1675465747';
const LONG = 300_000;
const modelsDir = mkdtempSync(join(tmpdir(), 'hybridgen-models-'));
let packs = '';

interface UsageTotal {
  local_drafts: number;
  local_upscales: number;
  local_background_removals: number;
  cost_usd: number;
}
async function usage(server: RunningServer): Promise<UsageTotal> {
  return ((await (await fetch(`${server.url}/api/usage`)).json()) as { total: UsageTotal }).total;
}

/** Drops a PNG on the canvas at (x, y), as a person dragging a file from their desktop. */
async function dropPng(page: Page, png: Buffer, x: number, y: number): Promise<void> {
  await page.evaluate(
    ([bytes, px, py]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([Uint8Array.from(bytes)], 'picture.png', { type: 'image/png' }));
      const target = document.querySelector('.tl-canvas') as HTMLElement;
      for (const type of ['dragenter', 'dragover', 'drop'])
        target.dispatchEvent(new DragEvent(type, { bubbles: true, cancelable: true, clientX: px, clientY: py, dataTransfer: dt }));
    },
    [Array.from(png), x, y] as const,
  );
}

/** A record of the document tldraw persisted in IndexedDB (persistence key `hybridgen-canvas`). */
async function persisted(page: Page, id: string): Promise<{ props: Record<string, unknown>; meta: Record<string, unknown> } | null> {
  return page.evaluate(async (recordId) => {
    const dbs = await indexedDB.databases();
    const name = dbs.map((d) => d.name ?? '').find((n) => n.includes('hybridgen-canvas'));
    if (!name) return null;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    try {
      const get = db.transaction('records').objectStore('records').get(recordId);
      return await new Promise((resolve, reject) => {
        get.onsuccess = () => resolve(get.result ?? null);
        get.onerror = () => reject(get.error);
      });
    } finally {
      db.close();
    }
  }, id);
}

const action = (page: Page, sourceId: string) => page.locator(`[data-testid="hg-action"][data-source-id="${sourceId}"]`);

async function imageShapeIds(page: Page): Promise<string[]> {
  return page.$$eval('.tl-shape[data-shape-type="image"]', (els) => els.map((el) => el.getAttribute('data-shape-id') ?? ''));
}

/** A fresh browser context on the app, with the page's uncaught errors collected. */
async function openAppWithErrors(browser: Browser, url: string): Promise<{ context: BrowserContext; page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await openApp(page, url);
  return { context, page, pageErrors };
}

describe('upscaling on the canvas (real esrgan-slim weights, WASM)', () => {
  const suite = useSuite({ webgpu: false, server: { webDir: null, args: ['-models-dir', modelsDir] } });

  beforeAll(async () => {
    cpSync(join(testModels, 'test-tiny-sd'), join(modelsDir, 'test-tiny-sd'), { recursive: true });
    packs = await pullEsrganSlim(modelsDir);
    await run('tar', ['xzf', join(packs, 'upscalerjs-esrgan-slim-1.0.0.tgz'), '-C', packs, 'package/assets/fixture.png']);
    await run('npm', ['pack', SEGMENTER_PACKAGE, '--pack-destination', packs, '--silent', '--prefer-offline'], { cwd: testsDir });
    await run(hybridgenBinary(), ['models', 'pull', 'selfie-segmentation', '-dir', modelsDir, '-npm-packs', packs]);
  }, 120_000);

  it(
    'right-click, Upscale 2x: a new image shape twice the size beside its source, linked in meta, in the ledger at $0',
    async () => {
      const { server, browser } = suite();
      const { context, page, pageErrors } = await openAppWithErrors(browser, server.url);
      const before = await usage(server);

      await dropPng(page, readFileSync(join(packs, 'package/assets/fixture.png')), 400, 300);
      await expect.poll(() => imageShapeIds(page), { timeout: 30_000 }).toHaveLength(1);
      const [sourceId] = await imageShapeIds(page);
      if (!sourceId) throw new Error('no image shape');
      const sourceBox = await page.locator(`.tl-shape[data-shape-id="${sourceId}"]`).boundingBox();
      if (!sourceBox) throw new Error('the image shape has no box');

      await page.mouse.click(sourceBox.x + sourceBox.width / 2, sourceBox.y + sourceBox.height / 2, { button: 'right' });
      await page.getByRole('menuitem', { name: 'Upscale 2x' }).click();
      await expect.poll(() => action(page, sourceId).getAttribute('data-status'), { timeout: 180_000 }).toMatch(/^(done|error)$/);
      expect(await action(page, sourceId).getByTestId('hg-action-text').textContent()).toMatch(
        /^Upscaled 2x on this device \(WebAssembly\) in [\d.]+ s · \$0$/,
      );
      const resultId = await action(page, sourceId).getAttribute('data-result-id');
      if (!resultId) throw new Error('no result shape');

      // The document (as tldraw persisted it): the result's size and its link to the source.
      await expect.poll(() => persisted(page, resultId), { timeout: 10_000 }).not.toBeNull();
      const source = await persisted(page, sourceId);
      const result = await persisted(page, resultId);
      if (!source || !result) throw new Error('records not persisted');
      expect(result.meta.hybridgen).toEqual({ sourceShapeId: sourceId, action: 'upscale', scale: 2, model: 'esrgan-slim' });
      expect([result.props.w, result.props.h]).toEqual([(source.props.w as number) * 2, (source.props.h as number) * 2]);
      const asset = await persisted(page, result.props.assetId as string);
      expect([asset?.props.w, asset?.props.h, asset?.props.mimeType]).toEqual([256, 256, 'image/png']);
      expect(String(asset?.props.src)).not.toMatch(/^data:/);
      // Kept like every canvas image: in this browser and on the server, by its SHA-256.
      expect(asset?.props.src).toBe(`/api/assets/${String(asset?.meta.sha256)}`);
      await expect.poll(async () => (await fetch(`${server.url}${String(asset?.props.src)}`)).status, { timeout: 30_000 }).toBe(200);
      const resultBox = await page.locator(`.tl-shape[data-shape-id="${resultId}"]`).boundingBox();
      expect(resultBox && resultBox.x >= sourceBox.x + sourceBox.width).toBe(true);

      await expect.poll(async () => (await usage(server)).local_upscales, { timeout: 30_000 }).toBe(before.local_upscales + 1);
      const after = await usage(server);
      expect([after.local_drafts, after.cost_usd]).toEqual([before.local_drafts, before.cost_usd]);
      await snapShape(page.locator('.tl-canvas'), 'upscale-canvas');

      // Cancel: a 4x run stopped at once leaves no shape and says so.
      await page.mouse.click(sourceBox.x + sourceBox.width / 2, sourceBox.y + sourceBox.height / 2, { button: 'right' });
      await page.getByRole('menuitem', { name: 'Upscale 4x' }).click();
      await action(page, sourceId).getByTestId('hg-action-cancel').click();
      await expect.poll(() => action(page, sourceId).getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled');
      expect(await imageShapeIds(page)).toHaveLength(2);
      expect(pageErrors).toEqual([]);
      await context.close();
    },
    LONG,
  );

  it(
    'the image-generation shape upscales its draft from its own panel',
    async () => {
      const { server, browser } = suite();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await openApp(page, server.url);
      const shape = await draftQuickPreview(page, 'a lighthouse');
      const sourceId = (await shape.getAttribute('data-shape-id')) ?? '';
      const before = await usage(server);
      await shape.getByTestId('hg-upscale-2x').click();
      await expect.poll(() => action(page, sourceId).getAttribute('data-status'), { timeout: 180_000 }).toBe('done');
      const resultId = (await action(page, sourceId).getAttribute('data-result-id')) ?? '';
      await expect
        .poll(async () => (await persisted(page, resultId))?.meta.hybridgen, { timeout: 10_000 })
        .toMatchObject({ sourceShapeId: sourceId, scale: 2 });
      await expect.poll(async () => (await usage(server)).local_upscales, { timeout: 30_000 }).toBe(before.local_upscales + 1);
      await context.close();
    },
    LONG,
  );

  it(
    'right-click, Remove background: a same-size image shape with alpha, linked in meta, in the ledger at $0',
    async () => {
      const { server, browser } = suite();
      const { context, page, pageErrors } = await openAppWithErrors(browser, server.url);
      const before = await usage(server);
      await dropPng(page, readFileSync(join(testsDir, 'fixtures', 'astronaut-256.png')), 400, 300);
      await expect.poll(() => imageShapeIds(page), { timeout: 30_000 }).toHaveLength(1);
      const [sourceId] = await imageShapeIds(page);
      const box = sourceId ? await page.locator(`.tl-shape[data-shape-id="${sourceId}"]`).boundingBox() : null;
      if (!sourceId || !box) throw new Error('no image shape');
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2, { button: 'right' });
      await page.getByRole('menuitem', { name: 'Remove background' }).click();
      await expect.poll(() => action(page, sourceId).getAttribute('data-status'), { timeout: 180_000 }).toMatch(/^(done|error)$/);
      expect(await action(page, sourceId).getByTestId('hg-action-text').textContent()).toMatch(
        /^Removed the background on this device \(WebAssembly\) in [\d.]+ s · \$0$/,
      );
      const resultId = (await action(page, sourceId).getAttribute('data-result-id')) ?? '';
      await expect.poll(() => persisted(page, resultId), { timeout: 10_000 }).not.toBeNull();
      const source = await persisted(page, sourceId);
      const result = await persisted(page, resultId);
      expect(result?.meta.hybridgen).toEqual({ sourceShapeId: sourceId, action: 'remove-background', model: 'selfie-segmentation' });
      expect([result?.props.w, result?.props.h]).toEqual([source?.props.w, source?.props.h]);
      const asset = await persisted(page, result?.props.assetId as string);
      const png = new Uint8Array(await (await fetch(`${server.url}${String(asset?.props.src)}`)).arrayBuffer());
      expect(png[25]).toBe(6); // PNG colour type 6: RGBA
      await expect.poll(async () => (await usage(server)).local_background_removals, { timeout: 30_000 }).toBe(before.local_background_removals + 1);
      expect((await usage(server)).cost_usd).toBe(before.cost_usd);
      expect(pageErrors).toEqual([]);
      await context.close();
    },
    LONG,
  );
});
