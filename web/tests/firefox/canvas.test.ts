// The canvas app end to end in the browser the Firefox project runs (no WebGPU there: drafts on
// WASM): Quick Preview downloads the model and drafts locally, High Quality renders through the
// RunPod emulator, Auto falls back to the cloud when the local path fails. The model panel names
// why WebGPU is not used.

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawImageShape, openCanvas, settleShape } from '../harness/cross-app.js';
import type { TestBrowser } from '../harness/driver.js';
import { launchTestBrowser, testBrowserName } from '../harness/driver.js';
import { emulatorTargetsFile, type RunningEmulator, startEmulator } from '../harness/emulator.js';
import { mirrorArgs, modelsDir } from '../harness/engine-models.js';
import { type RunningServer, startServer } from '../harness/server.js';

async function usage(server: RunningServer): Promise<{ local_drafts: number; cloud_jobs: number; cost_usd: number }> {
  return ((await (await fetch(`${server.url}/api/usage`)).json()) as { total: { local_drafts: number; cloud_jobs: number; cost_usd: number } }).total;
}

/** A mirror of the tiny model whose WASM UNet file is missing (404): the local path fails. */
function brokenMirror(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hybridgen-broken-mirror-'));
  cpSync(join(modelsDir, 'test-tiny-sd'), join(dir, 'test-tiny-sd'), { recursive: true });
  rmSync(join(dir, 'test-tiny-sd', 'fp32', 'unet', 'model.onnx'));
  return dir;
}

describe('the canvas app with the RunPod emulator as its cloud target', () => {
  let emulator: RunningEmulator;
  let server: RunningServer;
  let broken: RunningServer;
  let browser: TestBrowser;
  beforeAll(async () => {
    emulator = await startEmulator({ executionTime: '500ms' });
    const targets = emulatorTargetsFile(emulator);
    const cloudArgs = ['-targets', targets.path, '-poll-interval', '100ms'];
    [server, broken, browser] = await Promise.all([
      startServer({ webDir: null, args: [...mirrorArgs, ...cloudArgs], env: targets.env }),
      startServer({ webDir: null, args: ['-models-dir', brokenMirror(), ...cloudArgs], env: targets.env }),
      launchTestBrowser(testBrowserName(), { webgpu: false }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await Promise.all([server?.stop(), broken?.stop()]);
    await emulator?.stop();
  });

  it('makes a Quick Preview on WASM after downloading the model, at cost 0, and the model panel says why not WebGPU', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openCanvas(page, server.url);
    const panel = await page.evaluate(() => document.querySelector('[data-testid="hg-model-limits"]')?.textContent ?? '');
    expect(panel).toMatch(/WebGPU unavailable: /);
    const shape = await drawImageShape(page);
    await page.fill(shape.part('hg-prompt'), 'a red fox in the snow');
    await page.click(shape.part('hg-mode-preview'));
    await page.click(shape.part('hg-generate'));
    const view = await settleShape(page, shape);
    expect(view.error).toBe('');
    expect(view.status).toBe('done');
    expect(view.resultSource).toBe('local');
    expect(view.resultText).toMatch(/On this device · WebAssembly · \$0/);
    // The asset store resolves the image's URL asynchronously (an <img> without a src is `complete` too): wait for the decoded picture.
    await page.waitForFunction((sel) => {
      const img = document.querySelector(sel) as HTMLImageElement | null;
      return img?.complete === true && img.naturalWidth > 0;
    }, shape.part('hg-image'));
    expect((await settleShape(page, shape)).imageWidth).toBe(512);
    expect(await usage(server)).toMatchObject({ local_drafts: 1, cloud_jobs: 0, cost_usd: 0 });
    expect(page.problems.pageErrors).toEqual([]);
    await context.close();
  });

  it('renders High Quality in the cloud and shows its cost', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openCanvas(page, server.url);
    const shape = await drawImageShape(page);
    await page.fill(shape.part('hg-prompt'), 'a castle on a hill');
    await page.click(shape.part('hg-mode-hq'));
    await page.click(shape.part('hg-generate'));
    const view = await settleShape(page, shape);
    expect(view.error).toBe('');
    expect(view.resultSource).toBe('cloud');
    expect(view.resultText).toMatch(/Cloud · emulated-sdxl · \$0\.0\d+/);
    expect((await usage(server)).cloud_jobs).toBe(1);
    await context.close();
  });

  it('falls back to the cloud in Auto when the local path fails, and says why', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await openCanvas(page, broken.url);
    const shape = await drawImageShape(page);
    await page.fill(shape.part('hg-prompt'), 'a sailing boat');
    await page.click(shape.part('hg-mode-auto'));
    await page.click(shape.part('hg-generate'));
    const view = await settleShape(page, shape);
    expect(view.error).toBe('');
    expect(view.resultSource).toBe('cloud');
    expect(view.statusText).toMatch(/^Rendered in the cloud \(emulated-sdxl\) in [\d.]+ s: this device could not \(.+\)$/);
    expect(await usage(broken)).toMatchObject({ local_drafts: 0, cloud_jobs: 1 });
    await context.close();
  });
});
