import { describe, expect, it } from 'vitest';
import { createImageShape, openApp, snapShape } from '../harness/app.js';
import { mirrorArgs } from '../harness/engine-models.js';
import { useSuite } from '../harness/fixtures.js';
import { mirrorFaults } from '../harness/mirror.js';

/** The UNet of the variant a browser without WebGPU downloads (the largest file, 1.3 MB). */
const UNET = 'test-tiny-sd/fp32/unet/model.onnx';

describe('the canvas app while the model downloads (a slow mirror)', () => {
  const suite = useSuite({ webgpu: false, server: { webDir: null, args: [...mirrorArgs, '-mirror-test-faults'] } });

  it('shows a progress bar with MB of MB, speed and time left, then the draft', async () => {
    const { server, browser } = suite();
    const faults = mirrorFaults(server.url);
    // ~6 s for the UNet: long enough to see the bar move, short enough for the suite.
    await faults.set({ path: UNET, bytesPerSecond: 250_000 });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await openApp(page, server.url);
      const shape = await createImageShape(page);
      await shape.getByTestId('hg-prompt').fill('a kite over the dunes');
      await shape.getByTestId('hg-mode-preview').click();
      await shape.getByTestId('hg-generate').click();

      const bar = shape.getByTestId('hg-progress');
      await expect.poll(async () => Number((await bar.getAttribute('aria-valuenow').catch(() => null)) ?? -1), { timeout: 30_000 }).toBeGreaterThanOrEqual(20);
      const percent = Number(await bar.getAttribute('aria-valuenow'));
      expect(percent).toBeLessThan(100);
      expect(await shape.getAttribute('data-status')).toBe('downloading');
      const text = (await shape.getByTestId('hg-status').textContent()) ?? '';
      expect(text).toMatch(/^Downloading .+: [\d.]+ [kM]?B of [\d.]+ MB · [\d.]+ [kM]?B\/s · \d+ s left$/);
      // The whole text is visible (it wraps rather than being cut off by the shape's width).
      expect(await shape.getByTestId('hg-status').evaluate((el) => el.scrollHeight <= el.clientHeight + 1)).toBe(true);
      await snapShape(shape, 'shape-downloading');
      // The model panel follows the shape's download: no "Not stored" and no Download offer meanwhile.
      expect(await page.getByTestId('hg-model-progress').textContent()).toMatch(/^Downloading .+: [\d.]+ [kM]?B of [\d.]+ MB/);
      expect(await page.getByTestId('hg-model-stored').textContent()).toBe('Downloading now');
      expect(await page.getByTestId('hg-model-download').count()).toBe(0);

      await expect.poll(() => shape.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
      expect(await shape.getByTestId('hg-result').getAttribute('data-source')).toBe('local');
      expect((await faults.stats())[UNET]?.bodyBytes).toBeGreaterThanOrEqual(1_336_962);
    } finally {
      await faults.reset();
      await context.close();
    }
  });
});
