// Cancelling a local draft in Auto must end it, never hand it to the cloud (issue #15: the router
// once took the engine's own abort error for a failure and fell back to a paid cloud job).
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageShape, openApp } from '../harness/app.js';
import { launchChromium } from '../harness/browser.js';
import { emulatorTargetsFile, type RunningEmulator, startEmulator } from '../harness/emulator.js';
import { mirrorArgs } from '../harness/engine-models.js';
import { type RunningServer, startServer } from '../harness/server.js';

async function cloudJobs(server: RunningServer): Promise<number> {
  return ((await (await fetch(`${server.url}/api/usage`)).json()) as { total: { cloud_jobs: number } }).total.cloud_jobs;
}

describe('cancelling a local draft with a cloud target configured', () => {
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

  it('stops the draft while preparing and inside the engine run, and never starts a cloud job', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openApp(page, server.url);
    const shape = await createImageShape(page);
    const shapeId = await shape.getAttribute('data-shape-id');
    await shape.getByTestId('hg-prompt').fill('a lighthouse at dusk');
    await shape.getByTestId('hg-mode-auto').click();
    const status = shape.getByTestId('hg-status');

    // 1. Cancel at once, while the model is being prepared (download, load).
    await shape.getByTestId('hg-generate').click();
    await shape.getByTestId('hg-cancel').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 60_000 }).toMatch(/^(idle|done)$/);

    // 2. A whole draft, so the model is warm and the next one goes straight to the engine.
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => shape.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    expect(await shape.getByTestId('hg-result').getAttribute('data-source')).toBe('local');
    const shown = await shape.getByTestId('hg-image').getAttribute('src');

    // 3. Cancel from inside the page the moment the engine reports its UNet step (sent as the step
    // starts), so the abort lands while engine.generate runs in its worker.
    await page.evaluate((id) => {
      const el = document.querySelector(`[data-testid="hg-shape"][data-shape-id="${id}"]`);
      if (!el) throw new Error('no shape');
      const observer = new MutationObserver(() => {
        const text = el.querySelector('[data-testid="hg-status"]')?.textContent ?? '';
        if (!/^Step \d+ of \d+$/.test(text)) return;
        observer.disconnect();
        el.setAttribute('data-cancelled-at', text);
        el.querySelector<HTMLButtonElement>('[data-testid="hg-cancel"]')?.click();
      });
      observer.observe(el, { subtree: true, childList: true, characterData: true });
    }, shapeId);
    await shape.getByTestId('hg-generate').click();
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toBe('Cancelled');
    expect(await shape.getAttribute('data-cancelled-at')).toBe('Step 1 of 1');
    // The run ended as cancelled: not an error, and the image shown is still the earlier local one.
    expect(await shape.getAttribute('data-status')).toBe('done');
    expect(await shape.getByTestId('hg-result').getAttribute('data-source')).toBe('local');
    expect(await shape.getByTestId('hg-image').getAttribute('src')).toBe(shown);

    // Any fallback would have reached the server and the emulator by now.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await cloudJobs(server)).toBe(0);
    expect((await emulator.requests()).jobs_created).toBe(0);
    await context.close();
  });
});
