import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openPage } from '../harness/browser.js';
import { useSuite } from '../harness/fixtures.js';

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
}

function pixels(b64: string): Uint8Array {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

describe('local engine with WebGPU (SwiftShader)', () => {
  const suite = useSuite({ webgpu: true });

  it('loads in a worker on webgpu-f32 and makes a 64 px image', async () => {
    const { page, context, problems } = await openPage(suite().browser, suite().server.url);
    await ready(page);
    await page.evaluate(() => window.hgEngine.create('worker'));
    const load = await page.evaluate(() => window.hgEngine.load());
    if (!load.ok) throw new Error(`${load.error.name}: ${load.error.message}\n${load.error.stack}`);
    console.log(JSON.stringify(load.value, null, 1));
    const gen = await page.evaluate(() => window.hgEngine.generate({ prompt: 'a red cat', seed: 42, steps: 2 }));
    if (!gen.ok) throw new Error(`${gen.error.name}: ${gen.error.message}\n${gen.error.stack}`);
    console.log(JSON.stringify({ ...gen.value, rgbaBase64: undefined }, null, 1));
    expect(pixels(gen.value.rgbaBase64).length).toBe(64 * 64 * 4);
    console.log(problems);
    await context.close();
  });
});
