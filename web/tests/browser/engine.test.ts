import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorArgs, modelsDir } from '../harness/engine-models.js';
import { pixelDifference, referenceImage } from '../harness/engine-reference.js';
import { useSuite } from '../harness/fixtures.js';
import { type EnginePage, openEnginePage, rgba, unwrap } from './engine-helpers.js';

const modelDir = `${modelsDir}/test-tiny-sd`;
const request = { prompt: 'a red cat on a blue chair', seed: 1234, steps: 2 };
/** Tolerances, in 0..255 levels per channel: float math differs across ORT's CPU, WASM and WebGPU kernels. */
const CROSS_BACKEND = { max: 8, mean: 1 };
/** The WebGPU suite's first image, which the WASM suite compares its own with (the describes run in order). */
let webgpuImage: Uint8Array | undefined;

describe('local engine on WebGPU (SwiftShader, no shader-f16), in a worker', () => {
  const suite = useSuite({ webgpu: true, server: { args: mirrorArgs } });
  let ep: EnginePage;
  let first: Uint8Array;

  beforeAll(async () => {
    ep = await openEnginePage(suite());
  });
  afterAll(async () => {
    await ep?.context.close();
  });

  it('chooses webgpu-f32 (never fp16 without shader-f16), warms up, and makes a 64 px image', async () => {
    const load = unwrap(await ep.page.evaluate(() => window.hgEngine.load()));
    expect(load.backend).toBe('webgpu-f32');
    expect(load.rejected).toContainEqual(expect.objectContaining({ backend: 'webgpu-f16', code: 'no-shader-f16' }));
    expect(load.ioTypes['unet.sample']).toBe('float32');
    expect(load.timings.warmUpMs).toBeGreaterThan(0);
    const progress = await ep.page.evaluate(() => window.hgEngine.progress());
    expect(progress.map((p) => p.stage)).toEqual(expect.arrayContaining(['download', 'create-session', 'warm-up']));

    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(image).toMatchObject({ width: 64, height: 64, seed: 1234, steps: 2, backend: 'webgpu-f32', modelId: 'test-tiny-sd' });
    expect(image.reloaded).toBeUndefined();
    first = rgba(image.rgbaBase64);
    webgpuImage = first;
    expect(first.length).toBe(64 * 64 * 4);
    const distinct = new Set(Array.from(first.filter((_, i) => i % 4 === 0)));
    expect(distinct.size).toBeGreaterThan(20); // a real picture, not a flat fill
    const t = image.timings;
    expect(t.unetStepMs).toHaveLength(2);
    expect(t.sessionRunMs).toBeCloseTo(t.textEncoderMs + (t.unetStepMs[0] ?? 0) + (t.unetStepMs[1] ?? 0) + t.vaeMs, 5);
    expect(t.totalMs).toBeGreaterThanOrEqual(t.sessionRunMs);
    expect(ep.problems.gpuErrors).toEqual([]);
  });

  it('gives identical pixels for the same seed and different ones for another seed', async () => {
    const again = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(rgba(again.rgbaBase64)).toEqual(first);
    const other = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate({ ...r, seed: 99 }), request));
    expect(pixelDifference(rgba(other.rgbaBase64), first).mean).toBeGreaterThan(1);
    const random = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate({ prompt: r.prompt }), request));
    expect(Number.isInteger(random.seed)).toBe(true);
  });

  it('matches the onnxruntime-node reference (same graphs, same noise) within tolerance', async () => {
    const reference = await referenceImage({ modelDir, precision: 'fp32', size: 64, ...request });
    const diff = pixelDifference(first, reference);
    expect(diff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
    expect(diff.mean).toBeLessThanOrEqual(CROSS_BACKEND.mean);
  });

  it('stops when aborted during the UNet and stays usable', async () => {
    const aborted = await ep.page.evaluate((r) => window.hgEngine.generateAbortingAtStep({ ...r, steps: 4 }, 2), request);
    expect(aborted.ok).toBe(false);
    if (aborted.ok) return;
    expect(aborted.error.name).toBe('AbortError');
    expect(aborted.error.message).toMatch(/test aborts at UNet step 2/);
    const stages = await ep.page.evaluate(() => window.hgEngine.progress());
    expect(stages).toContainEqual({ stage: 'unet', step: 2, steps: 4 });
    const after = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(rgba(after.rgbaBase64)).toEqual(first);
  });

  it('keeps the main thread free: no long task over 50 ms while generating', async () => {
    await ep.page.evaluate(() => window.hgEngine.watchLongTasks());
    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate({ ...r, steps: 4 }), request));
    expect(image.timings.totalMs).toBeGreaterThan(200); // long enough that a blocked main thread would show
    await ep.page.waitForTimeout(100);
    const longTasks = await ep.page.evaluate(() => window.hgEngine.longTasks());
    expect(longTasks.filter((ms) => ms > 50)).toEqual([]);
  });

  it('unload releases the sessions and the next generate reloads transparently', async () => {
    const released = unwrap(await ep.page.evaluate(() => window.hgEngine.unload()));
    // The test model's three graphs and its optional tiny decoder.
    expect(released.releasedSessions).toBe(4);
    const status = unwrap(await ep.page.evaluate(() => window.hgEngine.status()));
    expect(status).toMatchObject({ state: 'unloaded', backend: null, canReload: true, host: 'worker' });
    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(image.reloaded).toBe(true);
    expect(rgba(image.rgbaBase64)).toEqual(first);
  });

  it('recovers from a lost GPU device (GPUDevice.destroy through a test hook)', async () => {
    unwrap(await ep.page.evaluate(() => window.hgEngine.destroyDevice()));
    const status = unwrap(await ep.page.evaluate(() => window.hgEngine.status()));
    expect(status.state).toBe('device-lost');
    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    // ORT 1.30's WebGPU EP takes a new device, so the engine reloads on WebGPU (else it would fall back to WASM).
    expect(image.recovery).toMatchObject({ kind: 'reloaded', from: 'webgpu-f32', to: 'webgpu-f32', reason: expect.stringMatching(/destroyed/) });
    expect(image.backend).toBe('webgpu-f32');
    const diff = pixelDifference(rgba(image.rgbaBase64), first);
    expect(diff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
  });

  it('a dying worker rejects with WorkerCrashedError and the next call works', async () => {
    const crashed = await ep.page.evaluate(async (r) => {
      const pending = window.hgEngine.generate({ ...r, steps: 4 });
      await window.hgEngine.crashWorker();
      return pending;
    }, request);
    expect(crashed.ok).toBe(false);
    if (crashed.ok) return;
    expect(crashed.error.name).toBe('WorkerCrashedError');
    expect(crashed.error.message).toMatch(/engine worker died: .*crash requested by a test hook/);
    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(image.reloaded).toBe(true);
    expect(image.backend).toBe('webgpu-f32');
    expect(rgba(image.rgbaBase64)).toEqual(first);
  });

  it('falls back to WASM when the WebGPU sessions cannot be created, and says so', async () => {
    const load = unwrap(await ep.page.evaluate(() => window.hgEngine.load({ breakUnetOf: 'webgpu-f32', warmUp: false })));
    expect(load.backend).toBe('wasm');
    expect(load.fallbacks).toEqual([
      { from: 'webgpu-f32', to: 'wasm', reason: expect.stringMatching(/ModelFormatError: tokenizer\/vocab\.json is not an ONNX model/) },
    ]);
    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(image.backend).toBe('wasm');
    expect(pixelDifference(rgba(image.rgbaBase64), first).max).toBeLessThanOrEqual(CROSS_BACKEND.max);
  });

  it('refuses to put fp16 weights on an adapter without shader-f16, even when the manifest mislabels them', async () => {
    const refused = await ep.page.evaluate(() => window.hgEngine.load({ backend: 'webgpu-f32', variantsFrom: { 'webgpu-f32': 'webgpu-f16' } }));
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.error.name).toBe('BackendUnavailableError');
    expect(refused.error.message).toMatch(/float16 .* no shader-f16/);
    const forced = await ep.page.evaluate(() => window.hgEngine.load({ backend: 'webgpu-f16' }));
    expect(forced.ok).toBe(false);
    if (!forced.ok) expect(forced.error.name).toBe('BackendUnavailableError');
    expect(ep.problems.gpuErrors).toEqual([]);
    expect(ep.problems.pageErrors).toEqual([]);
  });
});

describe('local engine on WASM (no WebGPU), cross-origin isolated', () => {
  const suite = useSuite({ webgpu: false, server: { args: mirrorArgs } });
  let ep: EnginePage;
  let first: Uint8Array;

  beforeAll(async () => {
    ep = await openEnginePage(suite());
  });
  afterAll(async () => {
    await ep?.context.close();
  });

  it('chooses WASM with threads and makes an image from Blob sources (as the OPFS store hands them)', async () => {
    const load = unwrap(await ep.page.evaluate(() => window.hgEngine.load({ blobs: true })));
    expect(load.backend).toBe('wasm');
    expect(load.wasmThreads).toBeGreaterThanOrEqual(2);
    expect(load.timings.warmUpMs).toBe(0); // no throw-away draft on WASM
    expect((await ep.page.evaluate(() => window.hgEngine.progress())).map((p) => p.stage)).not.toContain('warm-up');
    expect(load.reasons.join(' ')).toMatch(new RegExp(`WASM on ${load.wasmThreads} of \\d+ CPU threads, SIMD`));
    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(image).toMatchObject({ width: 64, height: 64, backend: 'wasm', seed: 1234 });
    first = rgba(image.rgbaBase64);
    const again = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(rgba(again.rgbaBase64)).toEqual(first);
    expect(ep.problems.pageErrors).toEqual([]);
  });

  it('matches the onnxruntime-node reference within tolerance', async () => {
    const reference = await referenceImage({ modelDir, precision: 'fp32', size: 64, ...request });
    const diff = pixelDifference(first, reference);
    expect(diff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
    expect(diff.mean).toBeLessThanOrEqual(CROSS_BACKEND.mean);
  });

  it('agrees with the WebGPU image of the same request within the stated tolerance', () => {
    if (!webgpuImage) throw new Error('the WebGPU suite above made no image');
    const diff = pixelDifference(first, webgpuImage);
    expect(diff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
    expect(diff.mean).toBeLessThanOrEqual(CROSS_BACKEND.mean);
  });

  it('loads from OPFS Files the model store downloaded from the Go mirror, with the same pixels', async () => {
    const stored = unwrap(await ep.page.evaluate(() => window.hgEngine.loadFromStore('wasm')));
    expect(stored.load.backend).toBe('wasm');
    expect(stored.storedFiles.map((f) => f.path).sort()).toEqual([
      'fp32/text_encoder/model.onnx',
      'fp32/unet/model.onnx',
      'fp32/vae_decoder/model.onnx',
      'tiny_decoder/model.onnx',
      'tiny_encoder/model.onnx',
      'tokenizer/merges.txt',
      'tokenizer/special_tokens_map.json',
      'tokenizer/tokenizer_config.json',
      'tokenizer/vocab.json',
    ]);
    expect(stored.storedFiles.every((f) => f.isFile)).toBe(true);
    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(rgba(image.rgbaBase64)).toEqual(first);
  });

  it('fails up front with ModelTooLargeError, saying what would fit, for a variant over wasm32 memory', async () => {
    const tooLarge = await ep.page.evaluate(() => window.hgEngine.load({ backend: 'wasm', wasmPeakBytes: 5 * 1024 ** 3 }));
    expect(tooLarge.ok).toBe(false);
    if (tooLarge.ok) return;
    expect(tooLarge.error.name).toBe('ModelTooLargeError');
    expect(tooLarge.error.message).toMatch(/wasm32 addresses at most 4\.3 GB/);
    expect(tooLarge.error.message).toMatch(/would/);
    expect(tooLarge.error.details).toMatchObject({ backend: 'wasm', neededBytes: 5 * 1024 ** 3, limitBytes: 4 * 1024 ** 3 });
  });

  it('unloads after the tab stays hidden and reloads on demand; encodes a PNG', async () => {
    unwrap(await ep.page.evaluate(() => window.hgEngine.load()));
    const unloaded = await ep.page.evaluate(async () => {
      const idle = window.hgEngine.idleUnload(200);
      idle.setHidden(true);
      idle.setHidden(false); // back before the timer: nothing happens
      await new Promise((r) => setTimeout(r, 400));
      const whileVisible = idle.unloaded.length;
      idle.setHidden(true);
      // The timer fires 200 ms after the tab hides; the unload itself takes what the machine gives it.
      for (let i = 0; i < 600 && idle.unloaded.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      return { whileVisible, after: idle.unloaded };
    });
    expect(unloaded.whileVisible).toBe(0);
    expect(unloaded.after).toEqual([{ releasedSessions: 4 }]);
    expect(unwrap(await ep.page.evaluate(() => window.hgEngine.status())).state).toBe('unloaded');
    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(image.reloaded).toBe(true);
    expect(rgba(image.rgbaBase64)).toEqual(first);
    const png = await ep.page.evaluate((r) => window.hgEngine.pngSize(r), request);
    expect(png.type).toBe('image/png');
    expect(png.bytes).toBeGreaterThan(100);
  });

  it('a call that overruns its timeout rejects with CallTimeoutError and the engine comes back', async () => {
    const late = await ep.page.evaluate((r) => window.hgEngine.generateWithTimeout({ ...r, steps: 4 }, 1), request);
    expect(late.ok).toBe(false);
    if (!late.ok) expect(late.error.name).toBe('CallTimeoutError');
    const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
    expect(rgba(image.rgbaBase64)).toEqual(first);
  });

  it('runs in the page too (createInPageEngine, one thread there), within tolerance of the worker', async () => {
    const inPage = await openEnginePage(suite(), 'page');
    try {
      const load = unwrap(await inPage.page.evaluate(() => window.hgEngine.load({ warmUp: false })));
      expect(load.wasmThreads).toBe(1); // ORT's pthread pool would block a window's main thread
      const image = unwrap(await inPage.page.evaluate((r) => window.hgEngine.generate(r), request));
      const diff = pixelDifference(rgba(image.rgbaBase64), first);
      expect(diff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
      expect(unwrap(await inPage.page.evaluate(() => window.hgEngine.status())).host).toBe('page');
    } finally {
      await inPage.context.close();
    }
  });
});
