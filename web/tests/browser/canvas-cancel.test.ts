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

  it('stops the draft at every stage it reaches and never starts a cloud job', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openApp(page, server.url);
    const shape = await createImageShape(page);
    await shape.getByTestId('hg-prompt').fill('a lighthouse at dusk');
    await shape.getByTestId('hg-mode-auto').click();
    // Cancel while preparing (download, load), then again once the model is warm (in the engine's run).
    for (const round of [1, 2, 3]) {
      await shape.getByTestId('hg-generate').click();
      await shape.getByTestId('hg-cancel').click();
      await expect.poll(() => shape.getAttribute('data-status'), { timeout: 60_000 }).toMatch(/^(idle|done|error)$/);
      // Cancelled (idle, or the last result kept) or, when the tiny model beat the click, made here: never an error, never the cloud.
      expect(await shape.getAttribute('data-status'), `round ${round}`).not.toBe('error');
      if ((await shape.getByTestId('hg-result').count()) > 0) expect(await shape.getByTestId('hg-result').getAttribute('data-source')).toBe('local');
    }
    // Any fallback would have reached the server and the emulator by now.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await cloudJobs(server)).toBe(0);
    expect((await emulator.requests()).jobs_created).toBe(0);
    await context.close();
  });
});
