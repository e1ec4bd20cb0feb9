import { readFileSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createImageShape, openApp, snapShape } from '../harness/app.js';
import { mirrorArgs } from '../harness/engine-models.js';
import { useSuite } from '../harness/fixtures.js';
import type { RunningServer } from '../harness/server.js';

const LONG = 480_000;

async function localDrafts(server: RunningServer): Promise<number> {
  return ((await (await fetch(`${server.url}/api/usage`)).json()) as { total: { local_drafts: number } }).total.local_drafts;
}

/** Records every status text the shape shows, from now on. */
async function watchStatus(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const w = window as unknown as { statusSeen: string[] };
    w.statusSeen = [];
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="hg-status"]'))
        if (w.statusSeen.at(-1) !== el.textContent) w.statusSeen.push(el.textContent ?? '');
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { statusSeen: string[] }).statusSeen);
}

/** In the page: the `made_at` of every draft report waiting in the offline queue (IndexedDB). */
async function queuedMadeAt(): Promise<string[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open('hybridgen-draft-queue');
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const all = await new Promise<{ made_at?: string }[]>((resolve, reject) => {
    const req = db.transaction('reports', 'readonly').objectStore('reports').getAll();
    req.onsuccess = () => resolve(req.result as { made_at?: string }[]);
    req.onerror = () => reject(req.error);
  });
  db.close();
  return all.map((r) => r.made_at ?? '');
}

async function draft(shape: Locator, prompt: string): Promise<void> {
  await shape.getByTestId('hg-prompt').fill(prompt);
  await shape.getByTestId('hg-mode-preview').click();
  await shape.getByTestId('hg-generate').click();
  await expect.poll(() => shape.getAttribute('data-status'), { timeout: 120_000 }).toMatch(/^(done|error)$/);
  const error = shape.getByTestId('hg-error');
  expect(await error.count(), (await error.count()) ? ((await error.textContent()) ?? '') : '').toBe(0);
}

describe('the image shape, as a person uses it', () => {
  const suite = useSuite({ webgpu: false, server: { webDir: null, args: mirrorArgs } });

  it(
    'fits its labels, caps the prompt, never lands on another shape, and keeps clear of the style panel',
    async () => {
      const { server, browser } = suite();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await openApp(page, server.url);
      const first = await createImageShape(page);
      for (const mode of ['auto', 'preview', 'hq']) {
        const button = first.getByTestId(`hg-mode-${mode}`);
        // One line: nothing cut off and no second line.
        expect(await button.evaluate((el) => el.scrollWidth <= el.clientWidth && el.getClientRects().length === 1 && el.clientHeight < 30)).toBe(true);
      }
      expect(await first.getByTestId('hg-prompt').getAttribute('maxlength')).toBe('2000');
      await first.getByTestId('hg-prompt').fill('x'.repeat(2100));
      expect((await first.getByTestId('hg-prompt').inputValue()).length).toBe(2000);

      // Just right of the first shape: a new one centred there would cover part of it.
      const firstBox = await first.boundingBox();
      if (!firstBox) throw new Error('the first shape has no box');
      const second = await createImageShape(page, { x: firstBox.x + firstBox.width + 20, y: firstBox.y + firstBox.height / 2 });
      const [a, b] = [await first.boundingBox(), await second.boundingBox()];
      if (!a || !b) throw new Error('shapes have no box');
      expect(a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y).toBe(true);

      // A selected shape shows tldraw's style panel; hybridgen's panel must not cover it.
      // An empty spot: left of the shapes, above hybridgen's panel, below tldraw's menu.
      await page.mouse.click(120, 60);
      await page.keyboard.press('Escape');
      await page.keyboard.press('r');
      await page.mouse.move(60, 80);
      await page.mouse.down();
      await page.mouse.move(200, 200, { steps: 5 });
      await page.mouse.up();
      const style = await page.locator('.tlui-style-panel').boundingBox();
      const side = await page.getByTestId('hg-side-panel').boundingBox();
      if (!style || !side) throw new Error('panels not shown');
      expect(style.x >= side.x + side.width || side.x >= style.x + style.width || style.y >= side.y + side.height || side.y >= style.y + style.height).toBe(
        true,
      );
      await context.close();
    },
    LONG,
  );

  it(
    'keeps run state out of the document, drops superseded previews quietly, makes variations and exports with the image',
    async () => {
      const { server, browser } = suite();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
      const page = await context.newPage();
      await openApp(page, server.url);
      const shape = await createImageShape(page);
      await draft(shape, 'a red kite');
      const seed = Number(await shape.getAttribute('data-seed'));
      expect(Number.isInteger(seed)).toBe(true);
      // The image is a tldraw asset kept in IndexedDB, not a data URL in the document.
      expect(await shape.getByTestId('hg-image').getAttribute('src')).toMatch(/^blob:/);

      // Live previews: typing replaces an older preview, which stops without a "Cancelled".
      const doneText = await shape.getByTestId('hg-status').textContent();
      const seen = await watchStatus(page);
      const before = await localDrafts(server);
      await shape.getByTestId('hg-prompt').fill('a red kite over the sea');
      // Past the debounce a preview starts: the status leaves the first draft's words.
      await expect.poll(async () => (await seen()).some((t) => t !== doneText), { timeout: 30_000 }).toBe(true);
      await shape.getByTestId('hg-prompt').fill('a red kite over the sea at dawn');
      await expect.poll(() => localDrafts(server), { timeout: 120_000 }).toBeGreaterThan(before);
      await expect.poll(() => shape.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
      expect(await seen()).not.toContain('Cancelled');
      expect(await shape.getByTestId('hg-image').getAttribute('alt')).toBe('a red kite over the sea at dawn');

      const shown = Number(await shape.getAttribute('data-seed'));
      const drafts = await localDrafts(server);
      await shape.getByTestId('hg-variation').click();
      await expect.poll(() => localDrafts(server), { timeout: 120_000 }).toBe(drafts + 1);
      await expect.poll(() => shape.getAttribute('data-seed'), { timeout: 30_000 }).toBe(String((shown + 1) >>> 0));

      // After a reload the shape is at rest with its image: nothing to repair, no stale "generating".
      await page.reload();
      await page.waitForFunction(() => document.documentElement.dataset.services === 'ready', undefined, { timeout: 60_000 });
      const again = page.locator('[data-testid="hg-shape"]').first();
      await expect.poll(() => again.getAttribute('data-status'), { timeout: 30_000 }).toBe('done');
      await expect.poll(() => again.getByTestId('hg-image').getAttribute('src'), { timeout: 30_000 }).toMatch(/^blob:/);

      // Export: the SVG carries the image itself (toSvg inlines it).
      await page.getByTestId('main-menu.button').click();
      await page.getByTestId('main-menu-sub.export-all-as-button').click();
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('main-menu.export-all-as-svg').click()]);
      const svg = readFileSync((await download.path()) ?? '', 'utf8');
      expect(svg).toMatch(/<image[^>]+href="data:image\/png;base64,/);
      expect(svg).toContain('a red kite over the sea at dawn');
      await context.close();
    },
    LONG,
  );

  it(
    'shows the last known costs offline, queues offline drafts and records them when the server is back',
    async () => {
      const { server, browser } = suite();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await openApp(page, server.url);
      await page.waitForFunction(() => document.documentElement.dataset.serviceWorker === 'controlled', undefined, { timeout: 60_000 });
      await draft(await createImageShape(page), 'a green field');
      const online = await localDrafts(server);
      await expect.poll(() => page.getByTestId('hg-local-count').textContent(), { timeout: 30_000 }).toBe(String(online));

      await context.setOffline(true);
      await page.reload();
      await page.waitForFunction(() => document.documentElement.dataset.services === 'ready', undefined, { timeout: 60_000 });
      const shape = await createImageShape(page, { x: 820, y: 330 });
      const offlineFrom = Date.now();
      await draft(shape, 'the same field, offline');
      // The queued report carries the time the draft was made: the ledger dates it by that, not by its upload.
      const madeAt = await page.evaluate(queuedMadeAt);
      expect(madeAt).toHaveLength(1);
      expect(Date.parse(madeAt[0] ?? '')).toBeGreaterThanOrEqual(offlineFrom - 1000);
      expect(Date.parse(madeAt[0] ?? '')).toBeLessThanOrEqual(Date.now());
      await expect
        .poll(() => page.getByTestId('hg-cost-offline').textContent(), { timeout: 30_000 })
        .toMatch(/^The server cannot be reached: figures as of .+\. 1 draft made since will be recorded when it is back\.$/);
      expect(await page.getByTestId('hg-local-count').textContent()).toBe(String(online));
      await snapShape(page.getByTestId('hg-side-panel'), 'panel-cost-offline');
      // High Quality offline: the words say the server is away, not that no cloud target exists.
      await shape.getByTestId('hg-mode-hq').click();
      await shape.getByTestId('hg-generate').click();
      await expect.poll(() => shape.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
      expect(await shape.getByTestId('hg-status').textContent()).toMatch(/at High Quality settings in \d+\.\d s: the server cannot be reached$/);

      // The image made offline waits in IndexedDB too, and reaches the server with the drafts.
      const offlineImage = await page.evaluate(
        (id) => {
          const editor = (window as unknown as { editor: import('tldraw').Editor }).editor;
          const assetId = (editor.getShape(id as import('tldraw').TLShapeId)?.props as { assetId?: string } | undefined)?.assetId;
          return editor.getAsset(assetId as import('tldraw').TLAssetId)?.props.src ?? '';
        },
        await shape.getAttribute('data-shape-id'),
      );
      expect(offlineImage).toMatch(/^\/api\/assets\/[0-9a-f]{64}$/);
      expect((await fetch(`${server.url}${offlineImage}`)).status).toBe(404);

      await context.setOffline(false);
      await expect.poll(() => localDrafts(server), { timeout: 60_000 }).toBe(online + 2);
      await expect.poll(async () => (await fetch(`${server.url}${offlineImage}`)).status, { timeout: 60_000 }).toBe(200);
      await context.close();
    },
    LONG,
  );
});
