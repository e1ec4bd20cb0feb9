import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage } from '../harness/browser.js';
import { emulatorTargetsFile, type RunningEmulator, startEmulator } from '../harness/emulator.js';
import { type RunningServer, startServer } from '../harness/server.js';

describe('the cost panel shows spend the cloud never confirmed apart', () => {
  let emulator: RunningEmulator;
  let server: RunningServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    emulator = await startEmulator({ executionTime: '200ms' });
    const targets = emulatorTargetsFile(emulator, 0.001);
    [server, browser] = await Promise.all([
      startServer({ webDir: null, args: ['-targets', targets.path], env: targets.env }),
      launchChromium({ webgpu: false }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await emulator?.stop();
  });

  it('lists an unconfirmed job with its worst case, outside Spent', async () => {
    // RunPod creates the job, then its gateway answers 500: nobody knows the job exists.
    const injected = await fetch(`${emulator.controlUrl}/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([{ route: 'run', kind: 'error_after' }]),
    });
    expect(injected.status).toBe(200);
    const answer = await fetch(`${server.url}/api/images`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ prompt: 'a lighthouse', width: 512, height: 512, client_id: 'c', idempotency_key: 'k-unconfirmed' }),
    });
    const job = (await answer.json()) as { status: string; worst_case_cost_usd: number };
    expect(answer.status).toBe(202);
    expect(job.status).toBe('UNCONFIRMED');
    expect(job.worst_case_cost_usd).toBeGreaterThan(0);

    const { page, context } = await openPage(browser, server.url);
    const unconfirmed = page.locator('[data-testid="hg-unconfirmed"]');
    // Generous: on a loaded 2-core machine the app takes tens of seconds to ask for usage.
    await unconfirmed.waitFor({ state: 'visible', timeout: 90_000 });
    const worst = job.worst_case_cost_usd;
    expect(await unconfirmed.textContent()).toBe(`up to ${worst < 0.01 ? `$${worst.toFixed(4)}` : `$${worst.toFixed(2)}`}`);
    expect(await page.getByText('Unconfirmed (1)').count()).toBe(1);
    expect(await page.locator('[data-testid="hg-spent"]').textContent()).toBe('$0.00');
    await context.close();
  });
});
