/**
 * The published SD-Turbo files' contract in the browser (the generated test model has it): which
 * dimensions the engine may pin (decided here, on onnxruntime-web 1.30, WebGPU on SwiftShader and
 * WASM), and no GPU buffer left behind by a draft (the text encoder's second output, pooler_output,
 * must not land in a GPU buffer nobody frees).
 */
import { DEFAULT_EMBEDDING_CACHE_SIZE } from '@hybridgen/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchPage } from '../harness/browser.js';
import { mirrorArgs } from '../harness/engine-models.js';
import { type Suite, useSuite } from '../harness/fixtures.js';
import { type EnginePage, unwrap } from './engine-helpers.js';

/**
 * Counts GPU buffers in the page: every `createBuffer` and every `destroy`. Installed before any page
 * script runs, so it sees ORT's device. `live` is created minus destroyed (a buffer that is only
 * garbage collected stays counted: ORT's WebGPU EP destroys the buffers it frees).
 */
function countGpuBuffers(): void {
  const counts = { created: 0, destroyed: 0 };
  const destroyed = new WeakSet<GPUBuffer>();
  const create = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (this: GPUDevice, descriptor: GPUBufferDescriptor) {
    counts.created++;
    return create.call(this, descriptor);
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function (this: GPUBuffer) {
    if (!destroyed.has(this)) {
      destroyed.add(this);
      counts.destroyed++;
    }
    return destroy.call(this);
  };
  (window as unknown as { gpuBufferCounts: () => typeof counts }).gpuBufferCounts = () => ({ ...counts });
}

async function openCountingPage(suite: Suite): Promise<EnginePage> {
  const context = await suite.browser.newContext();
  await context.addInitScript(countGpuBuffers);
  const page = await context.newPage();
  const problems = watchPage(page);
  await page.goto(suite.server.url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
  // In the page, not a worker: the init script wraps this realm's GPUDevice.
  await page.evaluate(() => window.hgEngine.create('page'));
  return { page, context, problems };
}

/** SwiftShader compiles every shader on the CPU: minutes on a loaded 2-core machine. */
const SLOW = 600_000;

const counts = (page: Page) => page.evaluate(() => (window as unknown as { gpuBufferCounts: () => { created: number; destroyed: number } }).gpuBufferCounts());

describe('the contract on WebGPU (SwiftShader, fp32)', () => {
  const suite = useSuite({ webgpu: true, server: { args: mirrorArgs } });
  let ep: EnginePage;

  beforeAll(async () => {
    ep = await openCountingPage(suite());
  });
  afterAll(async () => {
    await ep?.context.close();
  });

  it('pinning the text encoder sequence_length gives bit-identical last_hidden_state', { timeout: SLOW }, async () => {
    const r = await ep.page.evaluate(() => window.hgContract.textEncoderSequencePin('webgpu', 'fp32'));
    expect(r.pinned).toEqual({ batch_size: 1, sequence_length: 77 });
    expect(r.free).toEqual({ batch_size: 1 });
    expect(r.length).toBe(77 * 32);
    expect(r.absSum).toBeGreaterThan(0);
    expect(r).toMatchObject({ identicalBits: true, maxAbsDiff: 0 });
    expect(ep.problems.gpuErrors).toEqual([]);
  });

  // The engine pins every input dimension, the UNet's `steps` included: these drafts also prove that session works.
  // The live count must be equal, not merely close: a buffer leaked per draft shows after the first
  // one, so 5 drafts prove what more would (each costs seconds on SwiftShader).
  it('leaves no GPU buffer behind: as many live buffers after 5 more drafts as after warm-up', { timeout: SLOW }, async () => {
    const load = unwrap(await ep.page.evaluate(() => window.hgEngine.load({ backend: 'webgpu-f32' })));
    expect(load.backend).toBe('webgpu-f32');
    // A new prompt each draft: a repeated one takes its embeddings from the engine's cache and would
    // never run the text encoder, whose outputs are what this test watches. The cache keeps the last
    // prompts' embeddings as GPU buffers, one more per prompt until it is full (measured: +1 live
    // buffer per draft before it is): the warm-up fills it and evicts once, so each later draft adds
    // an embedding and disposes the evicted one.
    const draft = async (seed: number) => {
      const image = unwrap(await ep.page.evaluate((s) => window.hgEngine.generate({ prompt: `a red cat on a blue chair ${s}`, seed: s, steps: 1 }), seed));
      expect(image.timings.textEncoderCached).toBe(false);
    };
    for (let i = 0; i <= DEFAULT_EMBEDDING_CACHE_SIZE; i++) await draft(i);
    const before = await counts(ep.page);
    for (let i = 0; i < 5; i++) await draft(100 + i);
    const after = await counts(ep.page);
    expect(before.created).toBeGreaterThan(10); // the wrapper sees ORT's device
    // ORT creates and destroys a few staging buffers per run (7 per draft here): only live ones count.
    expect(after.created).toBeGreaterThan(before.created);
    expect(after.created - after.destroyed).toBe(before.created - before.destroyed);
    expect(ep.problems.gpuErrors).toEqual([]);
    expect(ep.problems.pageErrors).toEqual([]);
  });
});

describe('the contract on WASM', () => {
  const suite = useSuite({ webgpu: false, server: { args: mirrorArgs } });
  let page: Page;

  beforeAll(async () => {
    const context = await suite().browser.newContext();
    page = await context.newPage();
    watchPage(page);
    await page.goto(suite().server.url);
    await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
  });
  afterAll(async () => {
    await page?.context().close();
  });

  // fp32, as the engine runs WASM (fp32 or int8 variants). On fp16 graphs the CPU EP differs by one fp16 ulp
  // with the pin (static shapes change what it folds around its fp32 fallbacks); fp16 on WebGPU is
  // bit-identical (packages/core/src/engine/pipeline/input-shapes.dawn.test.ts).
  it('pinning the text encoder sequence_length changes no bit; pinning the UNet steps only rounding', { timeout: SLOW }, async () => {
    const text = await page.evaluate(() => window.hgContract.textEncoderSequencePin('wasm', 'fp32'));
    expect(text.free).toEqual({ batch_size: 1 });
    expect(text.absSum).toBeGreaterThan(0);
    expect(text).toMatchObject({ identicalBits: true, maxAbsDiff: 0 });
    const unet = await page.evaluate(() => window.hgContract.unetStepsPin('wasm', 'fp32'));
    expect(unet.pinned).toMatchObject({ steps: 1, sequence_length: 77 });
    expect(unet.absSum / unet.length).toBeGreaterThan(0.01);
    // Measured 1.2e-6: float rounding (the pinned graph folds the timestep's Expand), not another result.
    expect(unet.maxAbsDiff).toBeLessThan(1e-4);
  });
});
