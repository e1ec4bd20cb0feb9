import { describe, expect, it } from 'vitest';
import { createImageShape, openApp } from '../harness/app.js';
import { fp16OnlyMirror } from '../harness/engine-models.js';
import { useSuite } from '../harness/fixtures.js';

describe('the canvas app on a model that ships only fp16 weights, without WebGPU', () => {
  const suite = useSuite({ webgpu: false, server: { webDir: null, args: ['-models-dir', fp16OnlyMirror()] } });

  it('downloads the fp16 weights, builds an int8 variant once and drafts on WASM', async () => {
    const { server, browser } = suite();
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openApp(page, server.url, 'test-tiny-sd-f16');
    await expect(page.getByTestId('hg-model-panel').textContent()).resolves.toMatch(/int8 weights built on this device/);
    const shape = await createImageShape(page);
    await shape.getByTestId('hg-prompt').fill('a paper boat');
    await shape.getByTestId('hg-mode-preview').click();
    const watchStatus = () =>
      page.evaluate(() => {
        const w = window as unknown as { texts: string[] };
        w.texts = [];
        new MutationObserver(() => {
          for (const el of document.querySelectorAll('[data-testid="hg-status"]')) w.texts.push(el.textContent ?? '');
        }).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
    const statusTexts = () => page.evaluate(() => (window as unknown as { texts: string[] }).texts);
    await watchStatus();
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    expect(await shape.getByTestId('hg-result').textContent()).toMatch(/On this device · WebAssembly · \$0/);
    expect((await statusTexts()).some((t) => t.startsWith('Preparing int8 weights for this device (once)'))).toBe(true);
    const stored = await page.evaluate(async () => {
      const names: string[] = [];
      const walk = async (dir: FileSystemDirectoryHandle, prefix: string): Promise<void> => {
        for await (const [name, handle] of (dir as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
          if (handle.kind === 'directory') await walk(handle as FileSystemDirectoryHandle, `${prefix}${name}/`);
          else names.push(`${prefix}${name}`);
        }
      };
      await walk(await navigator.storage.getDirectory(), '');
      return names;
    });
    expect(stored.some((n) => n.startsWith('variants/test-tiny-sd-f16/int8/') && n.endsWith('variant.json'))).toBe(true);

    // After a reload the built variant is reused: the next draft needs no rebuild.
    await page.reload();
    await page.waitForFunction(() => document.documentElement.dataset.services === 'ready', undefined, { timeout: 60_000 });
    const again = await createImageShape(page, { x: 820, y: 330 });
    await again.getByTestId('hg-prompt').fill('a paper boat at dawn');
    await again.getByTestId('hg-mode-preview').click();
    await watchStatus();
    await again.getByTestId('hg-generate').click();
    await expect.poll(() => again.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    const texts = await statusTexts();
    // The stored model starts loading when the page opens, so the draft may find it loaded or wait
    // for that load ("Preparing the model"); either way the int8 variant is not built again.
    expect(await again.getByTestId('hg-result').textContent()).toMatch(/On this device · WebAssembly · \$0/);
    expect(texts.filter((t) => t.startsWith('Preparing int8'))).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });
});
