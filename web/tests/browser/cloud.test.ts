import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage } from '../harness/browser.js';
import { emulatorTargetsFile, type RunningEmulator, startEmulator } from '../harness/emulator.js';
import { useSuite } from '../harness/fixtures.js';
import { type RunningServer, startServer } from '../harness/server.js';

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
}

describe('the cloud path from the browser, through the real server, to the RunPod emulator', () => {
  let emulator: RunningEmulator;
  let server: RunningServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const price = 0.00076;

  beforeAll(async () => {
    emulator = await startEmulator({ executionTime: '1s' });
    const targets = emulatorTargetsFile(emulator, price);
    [server, browser] = await Promise.all([
      startServer({ args: ['-targets', targets.path, '-poll-interval', '100ms'], env: targets.env }),
      launchChromium({ webgpu: false }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await emulator?.stop();
  });

  it('renders High Quality in the cloud, with the cost the ledger charged', async () => {
    const { page, context } = await openPage(browser, server.url);
    await ready(page);
    const result = await page.evaluate(async () => {
      const { core } = window.hg;
      const client = core.createCloudClient({ pollIntervalMs: 100 });
      const renderer = core.createCloudRenderer({ client, config: await client.config(), clientId: 'browser-test' });
      const phases: string[] = [];
      const out = await renderer.render(
        { prompt: 'a lighthouse at dusk', seed: 1234, width: 512, height: 512, settings: 'hq' },
        { onProgress: (p) => phases.push(p.phase) },
      );
      const bitmap = await createImageBitmap(out.image);
      const usage = await client.usage();
      return { out: { ...out, image: null }, type: out.image.type, w: bitmap.width, h: bitmap.height, phases, status: renderer.status(), usage: usage.total };
    });
    expect(result.type).toBe('image/png');
    expect([result.w, result.h]).toEqual([1024, 1024]);
    expect(result.out).toMatchObject({ width: 1024, height: 1024, seed: 1234, engine: 'emulated-sdxl', model: 'sdxl-1.0' });
    const executionSeconds = (result.out.timings.execution ?? 0) / 1000;
    expect(executionSeconds).toBeGreaterThan(0.5);
    expect(result.out.costUsd).toBeCloseTo(price * executionSeconds, 6);
    expect(result.phases[0]).toBe('uploading');
    expect(result.phases).toContain('generating');
    expect(result.status).toMatchObject({ configured: true, target: 'emulated-sdxl' });
    expect(result.usage).toMatchObject({ cloud_jobs: 1 });
    expect(result.usage.cost_usd).toBeCloseTo(result.out.costUsd, 6);
    await context.close();
  });

  it('cancels the RunPod job when the user aborts', async () => {
    const { page, context } = await openPage(browser, server.url);
    await ready(page);
    const before = (await emulator.requests()).cancels.length;
    const outcome = await page.evaluate(async () => {
      const { core } = window.hg;
      const client = core.createCloudClient({ pollIntervalMs: 100 });
      const renderer = core.createCloudRenderer({ client, config: await client.config(), clientId: 'browser-test' });
      const controller = new AbortController();
      const run = renderer.render(
        { prompt: 'never mind', seed: 1, width: 512, height: 512, settings: 'hq' },
        {
          signal: controller.signal,
          onProgress: (p) =>
            p.phase === 'queued' || p.phase === 'generating' ? controller.abort(new DOMException('user cancelled', 'AbortError')) : undefined,
        },
      );
      return run.then(
        () => 'completed',
        (e: unknown) => (e instanceof DOMException ? e.message : String(e)),
      );
    });
    expect(outcome).toBe('user cancelled');
    await expect.poll(async () => (await emulator.requests()).cancels.length, { timeout: 10_000 }).toBe(before + 1);
    await context.close();
  });

  it('records a local draft at cost 0 with the cloud price it avoided', async () => {
    const { page, context } = await openPage(browser, server.url);
    await ready(page);
    const totals = await page.evaluate(async () => {
      const { core } = window.hg;
      const client = core.createCloudClient();
      const before = (await client.usage()).total;
      const renderer = core.createCloudRenderer({ client, config: await client.config(), clientId: 'browser-test' });
      await renderer.reportLocalDraft({ model: 'sd-turbo', engine: 'wasm', width: 512, height: 512, steps: 1, avoidedCostUsd: 0.0015, durationMs: 900 });
      return { before, after: (await client.usage()).total };
    });
    expect(totals.after.local_drafts).toBe(totals.before.local_drafts + 1);
    expect(totals.after.cost_usd).toBeCloseTo(totals.before.cost_usd, 9);
    expect(totals.after.avoided_usd).toBeGreaterThan(totals.before.avoided_usd);
    await context.close();
  });

  it('turns a bad request into a typed error naming the field', async () => {
    const { page, context } = await openPage(browser, server.url);
    await ready(page);
    const error = await page.evaluate(async () => {
      const client = window.hg.core.createCloudClient();
      return client.submitImage({ prompt: 'x', width: 500, client_id: 'browser-test', idempotency_key: 'k1' }).then(
        () => null,
        (e: { name: string; status: number; code: string; fields: unknown }) => ({ name: e.name, status: e.status, code: e.code, fields: e.fields }),
      );
    });
    expect(error).toEqual({ name: 'CloudApiError', status: 400, code: 'invalid_request', fields: [{ field: 'width', message: 'must be a multiple of 8' }] });
    await context.close();
  });

  it('never lets the RunPod key reach the browser or the logs', async () => {
    const { page, context } = await openPage(browser, server.url);
    await ready(page);
    const bodies = await page.evaluate(async () => Promise.all(['/api/config', '/api/usage', '/'].map((p) => fetch(p).then((r) => r.text()))));
    for (const body of bodies) expect(body).not.toContain(emulator.apiKey);
    expect(server.logs.join('\n')).not.toContain(emulator.apiKey);
    await context.close();
  });
});

describe('with no cloud target configured', () => {
  const suite = useSuite({ webgpu: false });

  it('says so in the config route, so High Quality runs locally', async () => {
    const { server, browser } = suite();
    const { page, context } = await openPage(browser, server.url);
    await ready(page);
    const status = await page.evaluate(async () => {
      const client = window.hg.core.createCloudClient();
      const config = await client.config();
      return { config, status: window.hg.core.createCloudRenderer({ client, config, clientId: 'x' }).status() };
    });
    expect(status.config.cloud.configured).toBe(false);
    expect(status.status).toMatchObject({ configured: false, target: null });
    await context.close();
  });
});
