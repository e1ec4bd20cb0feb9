import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapShape } from '../harness/app.js';
import { useSuite } from '../harness/fixtures.js';

// The app exactly as `make run` serves it on a fresh clone: the Vite build embedded in the binary,
// an empty model mirror (the built-in demo model), Chromium's software WebGPU adapter.
describe('the embedded canvas app', () => {
  const suite = useSuite({ webgpu: true, server: { webDir: null, args: ['-models-dir', mkdtempSync(join(tmpdir(), 'hybridgen-empty-mirror-'))] } });

  it('loads tldraw with every asset from its own origin, under the CSP and cross-origin isolation', async () => {
    const { url } = suite().server;
    const context = await suite().browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const foreign: string[] = [];
    const failed: string[] = [];
    page.on('request', (request) => {
      const origin = new URL(request.url()).origin;
      if (origin !== url && !request.url().startsWith('data:') && !request.url().startsWith('blob:')) foreign.push(request.url());
    });
    page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
    const errors: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.locator('.tl-canvas').waitFor({ state: 'visible', timeout: 30_000 });
    await page.waitForFunction(() => document.fonts.status === 'loaded');
    await page.waitForFunction(() => document.documentElement.dataset.services === 'ready', undefined, { timeout: 60_000 });
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    // The model panel says why WebGPU is not used on a software adapter.
    expect(await page.getByTestId('hg-webgpu-reason').textContent()).toMatch(
      /^WebGPU is not used: the WebGPU adapter is a software fallback \(CPU emulation\), slower than WASM/,
    );
    await snapShape(page.getByTestId('hg-side-panel'), 'panel-webgpu-reason');
    expect(foreign).toEqual([]);
    expect(failed).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opens offline after the first visit (service worker)', async () => {
    const context = await suite().browser.newContext();
    const page = await context.newPage();
    await page.goto(suite().server.url);
    await page.waitForFunction(() => document.documentElement.dataset.serviceWorker === 'controlled', undefined, { timeout: 60_000 });
    await page.locator('.tl-canvas').waitFor({ state: 'visible' });
    await context.setOffline(true);
    await page.reload();
    await page.locator('.tl-canvas').waitFor({ state: 'visible', timeout: 30_000 });
    await page.waitForFunction(() => document.fonts.status === 'loaded');
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    expect(await page.evaluate(() => window.crossOriginIsolated)).toBe(true);
    // The API is never served from the cache: offline it fails instead of answering stale data.
    expect(
      await page.evaluate(() =>
        fetch('/healthz').then(
          () => 'answered',
          () => 'failed',
        ),
      ),
    ).toBe('failed');
    await context.close();
  });

  it('serves a health route', async () => {
    const response = await fetch(`${suite().server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });
});
