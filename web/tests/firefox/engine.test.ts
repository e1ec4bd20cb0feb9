// The local engine in a worker, in the browser the Firefox project runs: on WASM (determinism,
// abort, a worker that dies) and on WebGPU over lavapipe, where Firefox offers shader-f16 and the
// engine runs the fp16 weights (Chromium's SwiftShader cannot, so this is their only real-browser test).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rgba, seriousProblems, unwrap } from '../browser/engine-helpers.js';
import type { TestContext, TestPage } from '../harness/driver.js';
import { mirrorArgs, modelsDir } from '../harness/engine-models.js';
import { pixelDifference, referenceImage } from '../harness/engine-reference.js';
import { openTestPage, useCrossSuite } from '../harness/fixtures.js';

const modelDir = `${modelsDir}/test-tiny-sd`;
const request = { prompt: 'a red cat on a blue chair', seed: 1234, steps: 2 };
/** In 0..255 levels per channel, as the Chromium engine tests and the Node fp16 test (Dawn) allow. */
const CROSS_BACKEND = { max: 8, mean: 1 };

describe('local engine on WASM (no WebGPU), in a worker', () => {
  const suite = useCrossSuite({ webgpu: false, server: { args: mirrorArgs } });
  let context: TestContext;
  let page: TestPage;
  let first: Uint8Array;

  beforeAll(async () => {
    ({ context, page } = await openTestPage(suite()));
    await page.evaluate(() => window.hgEngine.create('worker'));
  });
  afterAll(async () => {
    await context?.close();
  });

  it('chooses WASM with threads, is deterministic per seed and matches the onnxruntime-node reference', async () => {
    const load = unwrap(await page.evaluate(() => window.hgEngine.load()));
    expect(load.backend).toBe('wasm');
    expect(load.wasmThreads).toBeGreaterThanOrEqual(2);
    expect(load.rejected).toContainEqual(expect.objectContaining({ backend: 'webgpu-f16', code: 'webgpu-unavailable' }));
    const image = unwrap(await page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(image).toMatchObject({ width: 64, height: 64, seed: 1234, steps: 2, backend: 'wasm' });
    first = rgba(image.rgbaBase64);
    const again = unwrap(await page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(rgba(again.rgbaBase64)).toEqual(first);
    const other = unwrap(await page.evaluate((r) => window.hgEngine.generate({ ...r, seed: 99 }), request));
    expect(pixelDifference(rgba(other.rgbaBase64), first).mean).toBeGreaterThan(1);
    const reference = await referenceImage({ modelDir, precision: 'fp32', size: 64, ...request });
    const diff = pixelDifference(first, reference);
    expect(diff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
    expect(diff.mean).toBeLessThanOrEqual(CROSS_BACKEND.mean);
    expect(seriousProblems(page.problems)).toEqual([]);
  });

  it('stops when aborted during the UNet and stays usable', async () => {
    const aborted = await page.evaluate((r) => window.hgEngine.generateAbortingAtStep({ ...r, steps: 4 }, 2), request);
    expect(aborted.ok).toBe(false);
    if (aborted.ok) return;
    expect(aborted.error.name).toBe('AbortError');
    expect(aborted.error.message).toMatch(/test aborts at UNet step 2/);
    const after = unwrap(await page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(rgba(after.rgbaBase64)).toEqual(first);
  });

  it('restarts a worker that died (an uncaught error in it) and reloads on the next call, same pixels', async () => {
    // On WASM a 4-step draft of the tiny model ends before a crash message is handled, so the worker dies idle.
    expect((await page.evaluate(() => window.hgEngine.crashWorker())).ok).toBe(true);
    const noticed = await page.evaluate(async () => {
      for (let i = 0; i < 100; i++) {
        const status = await window.hgEngine.status();
        if (status.ok && status.value.state !== 'ready') return status.value;
        await new Promise((r) => setTimeout(r, 50));
      }
      return null;
    });
    expect(noticed).toMatchObject({ state: 'idle', backend: null, canReload: true, host: 'worker' });
    const image = unwrap(await page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(image.reloaded).toBe(true);
    expect(image.recovery).toMatchObject({
      kind: 'worker-restarted',
      from: 'wasm',
      to: 'wasm',
      reason: expect.stringMatching(/engine worker died: .*crash requested by a test hook/),
    });
    expect(image.backend).toBe('wasm');
    expect(rgba(image.rgbaBase64)).toEqual(first);
  });
});

describe('local engine on WebGPU (Firefox: lavapipe with shader-f16), in a worker', () => {
  const suite = useCrossSuite({ webgpu: true, server: { args: mirrorArgs } });
  let context: TestContext;
  let page: TestPage;

  beforeAll(async () => {
    ({ context, page } = await openTestPage(suite()));
    await page.evaluate(() => window.hgEngine.create('worker'));
  });
  afterAll(async () => {
    await context?.close();
  });

  it('runs the fp16 weights where the adapter has shader-f16, within tolerance of the fp32 reference, with no WebGPU error', async () => {
    const caps = await page.evaluate(() => window.hg.core.detectCapabilities());
    if (!caps.webgpu.available) throw new Error(`expected WebGPU: ${caps.webgpu.message}`);
    const f16 = caps.webgpu.shaderF16;
    if (suite().browser.name === 'firefox') expect(f16).toBe(true);
    const load = unwrap(await page.evaluate(() => window.hgEngine.load()));
    expect(load.fallbacks).toEqual([]);
    expect(load.backend).toBe(f16 ? 'webgpu-f16' : 'webgpu-f32');
    const image = unwrap(await page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(image.backend).toBe(load.backend);
    const pixels = rgba(image.rgbaBase64);
    const again = unwrap(await page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(rgba(again.rgbaBase64)).toEqual(pixels);
    const reference = await referenceImage({ modelDir, precision: 'fp32', size: 64, ...request });
    const diff = pixelDifference(pixels, reference);
    console.log(`${suite().browser.version} ${load.backend} vs fp32 on onnxruntime-node, RGBA levels:`, diff);
    expect(diff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
    expect(diff.mean).toBeLessThanOrEqual(CROSS_BACKEND.mean);
    expect(seriousProblems(page.problems)).toEqual([]);
  });
});
