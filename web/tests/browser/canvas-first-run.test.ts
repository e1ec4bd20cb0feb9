import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createImageShape, snapShape } from '../harness/app.js';
import { useSuite } from '../harness/fixtures.js';

/** Opens the app as a person does: the bare URL, no `?model=`. */
async function openBare(page: import('playwright-core').Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.services === 'ready', undefined, { timeout: 60_000 });
  await page.locator('.tl-canvas').waitFor({ state: 'visible', timeout: 60_000 });
}

// A fresh clone's `make run`: the binary `make build` made (the demo model embedded), an empty mirror.
describe('the first run: an empty model mirror', () => {
  const suite = useSuite({ webgpu: false, server: { webDir: null, args: ['-models-dir', mkdtempSync(join(tmpdir(), 'hybridgen-empty-mirror-'))] } });

  it('says in the log and in the app how to get SD-Turbo, and Quick Preview makes an image with the demo model', { timeout: 240_000 }, async () => {
    const { server, browser } = suite();
    expect(server.logs.join('\n'), 'build the binary with make: it embeds the demo model').toMatch(/built-in demo model ready/);
    expect(server.logs.join('\n')).toMatch(
      /no SD-Turbo in the model mirror: run `hybridgen models pull sd-turbo -dir .+` on a machine that reaches Hugging Face, or copy a mirror folder/,
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openBare(page, server.url);
    const note = page.getByTestId('hg-demo-note');
    expect(await note.textContent()).toMatch(
      /^Demo model, random weights: shows the pipeline, not pictures\. .*hybridgen models pull sd-turbo.*copy a mirror folder/,
    );
    expect(await page.getByTestId('hg-webgpu-reason').textContent()).toMatch(/^WebGPU is not used: WebGPU unavailable: /);
    await snapShape(page.getByTestId('hg-side-panel'), 'panel-demo-model');

    const shape = await createImageShape(page);
    await shape.getByTestId('hg-prompt').fill('a lighthouse at dusk');
    await shape.getByTestId('hg-mode-preview').click();
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    await expect
      .poll(() => shape.getByTestId('hg-image').evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth > 0), { timeout: 30_000 })
      .toBe(true);
    // The image's own time, in words; the download is reported apart.
    expect(await shape.getByTestId('hg-status').textContent()).toMatch(/^Drafted on this device \(WebAssembly\) in \d+\.\d s$/);
    expect(await shape.getByTestId('hg-preparation').textContent()).toMatch(/^The model was made ready first, in \d+\.\d s$/);
    const usage = (await (await fetch(`${server.url}/api/usage`)).json()) as { total: { local_drafts: number } };
    expect(usage.total.local_drafts).toBe(1);
    // The panel caught up with the download the shape made: no "Download" offer, the model is stored.
    await expect
      .poll(() => page.getByTestId('hg-model-stored').textContent(), { timeout: 30_000 })
      .toMatch(/^Stored: [\d.]+ MB · [\d.]+ [GM]B free of [\d.]+ [GM]B the browser grants/);
    expect(await page.getByTestId('hg-model-download').count()).toBe(0);
    await snapShape(shape, 'shape-first-run');
    expect(errors).toEqual([]);
    await context.close();
  });
});
