import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { draftQuickPreview, openApp, snapShape } from '../harness/app.js';
import { mirrorArgs } from '../harness/engine-models.js';
import { useSuite } from '../harness/fixtures.js';
import type { RunningServer } from '../harness/server.js';

const LONG = 360_000;

async function localDrafts(server: RunningServer): Promise<number> {
  return ((await (await fetch(`${server.url}/api/usage`)).json()) as { total: { local_drafts: number } }).total.local_drafts;
}

/** The SHA-256 (hex) of the picture the shape shows, read back through its `src` in the page. */
async function shownImageHash(shape: Locator): Promise<string> {
  return shape.getByTestId('hg-image').evaluate(async (el: HTMLImageElement) => {
    const bytes = await (await fetch(el.src)).arrayBuffer();
    return Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
  });
}

async function waitForImage(shape: Locator): Promise<void> {
  await expect.poll(() => shape.getByTestId('hg-image').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 30_000 }).toBe(512);
}

/** The shown image's asset record, from the editor (`window.editor`). */
async function shownAsset(page: Page, shape: Locator): Promise<{ src: string; sha256: string; decoder: string }> {
  const shapeId = await shape.getAttribute('data-shape-id');
  return page.evaluate((id) => {
    const editor = (window as unknown as { editor: import('tldraw').Editor }).editor;
    const assetId = (editor.getShape(id as import('tldraw').TLShapeId)?.props as { assetId?: string } | undefined)?.assetId;
    const asset = editor.getAsset(assetId as import('tldraw').TLAssetId);
    return { src: String(asset?.props.src), sha256: String(asset?.meta.sha256), decoder: String(asset?.meta.decoder) };
  }, shapeId);
}

describe('Keep and server-held images', () => {
  const suite = useSuite({ webgpu: false, server: { webDir: null, args: mirrorArgs } });

  it(
    'Keep decodes the same draft again with the full decoder and replaces the image',
    async () => {
      const { server, browser } = suite();
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await openApp(page, server.url);
      const shape = await draftQuickPreview(page, 'a harbour at noon');
      await waitForImage(shape);
      // Quick Preview ran the tiny decoder: the engine says so, and the asset keeps it.
      expect(await shape.getAttribute('data-decoder')).toBe('tiny');
      const draft = await shownAsset(page, shape);
      expect(draft.decoder).toBe('tiny');
      const seed = await shape.getAttribute('data-seed');
      const draftPixels = await shownImageHash(shape);
      const drafts = await localDrafts(server);

      await shape.getByTestId('hg-keep').click();
      await expect.poll(() => shape.getAttribute('data-decoder'), { timeout: 120_000 }).toBe('full');
      expect(await shape.getAttribute('data-status')).toBe('done');
      await waitForImage(shape);
      expect(await shape.getByTestId('hg-status').textContent()).toMatch(/^Kept: decoded in full on this device \(WebAssembly\) in \d+\.\d s$/);
      const kept = await shownAsset(page, shape);
      expect(kept.decoder).toBe('full');
      expect(kept.sha256).not.toBe(draft.sha256);
      expect(await shownImageHash(shape)).toBe(kept.sha256);
      expect(kept.sha256).not.toBe(draftPixels);
      // The same draft (seed and prompt), not a new one: the seed stays and the ledger counts no new draft.
      expect(await shape.getAttribute('data-seed')).toBe(seed);
      expect(await localDrafts(server)).toBe(drafts);
      expect(await shape.getByTestId('hg-keep').count()).toBe(0);
      await snapShape(shape, 'shape-kept');
      await context.close();
    },
    LONG,
  );

  it(
    'keeps an image in this browser and on the server, so another profile opening the document shows it',
    async () => {
      const { server, browser } = suite();
      const first = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await first.newPage();
      await openApp(page, server.url);
      const shape = await draftQuickPreview(page, 'a windmill in the rain');
      await waitForImage(shape);
      const asset = await shownAsset(page, shape);
      expect(asset.src).toBe(`/api/assets/${asset.sha256}`);
      // Local first: this browser shows its own copy (an object URL from IndexedDB).
      expect(await shape.getByTestId('hg-image').getAttribute('src')).toMatch(/^blob:/);
      // And the server has it, byte for byte, with caching headers.
      await expect.poll(async () => (await fetch(`${server.url}${asset.src}`)).status, { timeout: 30_000 }).toBe(200);
      const served = await fetch(`${server.url}${asset.src}`);
      expect(served.headers.get('content-type')).toBe('image/png');
      expect(served.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/);
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await served.arrayBuffer()));
      expect(Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')).toBe(asset.sha256);
      const snapshot = await page.evaluate(() =>
        JSON.stringify((window as unknown as { editor: import('tldraw').Editor }).editor.store.getStoreSnapshot('document')),
      );
      await first.close();

      // Another profile (a fresh context: no IndexedDB of the first) opens the same document.
      const second = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const other = await second.newPage();
      await openApp(other, server.url);
      await other.evaluate((json) => {
        (window as unknown as { editor: import('tldraw').Editor }).editor.store.loadStoreSnapshot(JSON.parse(json));
      }, snapshot);
      const shown = other.locator('[data-testid="hg-shape"]').first();
      await waitForImage(shown);
      expect(await shown.getByTestId('hg-image').getAttribute('src')).toBe(asset.src);
      expect(await shownImageHash(shown)).toBe(asset.sha256);
      await snapShape(shown, 'shape-from-server');
      await second.close();
    },
    LONG,
  );
});
