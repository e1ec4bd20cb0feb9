import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchPage } from '../harness/browser.js';
import { fp16OnlyMirror } from '../harness/engine-models.js';
import { useSuite } from '../harness/fixtures.js';
import { pullSelfieSegmentation } from '../harness/mirror.js';
import { pullEsrganSlim } from '../harness/upscaler-model.js';

/** What bench-local.html prints last: its result, or the error that stopped it. */
type Outcome = { readonly kind: 'HG_RESULT' | 'HG_ERROR'; readonly payload: Record<string, unknown> };

/** Opens the benchmark page and waits for its `HG_RESULT` / `HG_ERROR` console line (what bench/gpu/browser_bench.py reads). */
async function runBenchPage(page: Page, url: string): Promise<Outcome> {
  const outcome = new Promise<Outcome>((resolve) => {
    const onConsole = (msg: { text(): string }) => {
      const m = /^(HG_RESULT|HG_ERROR) (.*)$/s.exec(msg.text());
      if (!m) return;
      page.off('console', onConsole);
      resolve({ kind: m[1] as Outcome['kind'], payload: JSON.parse(m[2] ?? '{}') as Record<string, unknown> });
    };
    page.on('console', onConsole);
  });
  await page.goto(url);
  return outcome;
}

/** One draft's timings as bench-local.html reports them (the render's StageTimings plus engine and PNG size). */
type Draft = { engine: string; text_encoder: number; unet: number; vae?: number; tiny_decoder?: number; total: number; pngBytes: number };

/** One upscale as bench-local.html reports it (bench-upscale.ts). */
type UpscaleRun = {
  wallMs: number;
  firstTileMs: number;
  inferenceMs: number;
  storeMs: number;
  tiles: number;
  width: number;
  height: number;
  pngBytes: number;
  downloadedBytes: number;
};

/** bench-local.html's `bgremove` block (tests/pages/bench-bgremove.ts). */
type BgRemove = {
  backend: string;
  side: number;
  runs: { totalMs: number; inferenceMs: number; downloadMs: number; pngBytes: number }[];
  firstMs: number;
  warmMedianMs: number | null;
};

/** Checks a `bgremove` block: `runs` removals of the 1024 px picture on `backend`, each timed. */
function expectBgRemove(block: unknown, backend: string, runs: number): BgRemove {
  const report = block as BgRemove;
  expect(report).toMatchObject({ backend, side: 1024 });
  expect(report.runs).toHaveLength(runs);
  for (const r of report.runs) {
    expect(r.inferenceMs).toBeGreaterThan(0);
    expect(r.totalMs).toBeGreaterThanOrEqual(r.inferenceMs + r.downloadMs);
    expect(r.pngBytes).toBeGreaterThan(1000);
  }
  expect(report.firstMs).toBe(report.runs[0]?.totalMs);
  return report;
}

describe('bench-local.html: the local path timed with nobody driving (what the GPU-machine browser run uses)', () => {
  const mirror = fp16OnlyMirror({ tinyDecoder: true });
  const suite = useSuite({ webgpu: false, server: { args: ['-models-dir', mirror] } });
  let context: BrowserContext;
  let page: Page;
  let problems: ReturnType<typeof watchPage>;
  beforeAll(async () => {
    // The upscaler's real weights beside the test model, as device.sh lays out the GPU machine's mirror.
    await pullEsrganSlim(mirror);
    // The real background remover (bgremove=N), converted into the same mirror.
    await pullSelfieSegmentation(mirror);
    context = await suite().browser.newContext();
    page = await context.newPage();
    problems = watchPage(page);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('downloads the fp16 files, derives int8, loads once, drafts with the tiny decoder, HQ with the VAE decoder, upscales 4x, removes a background', async () => {
    const { kind, payload } = await runBenchPage(
      page,
      `${suite().server.url}/bench-local.html?model=test-tiny-sd-f16&backend=wasm&threads=2&drafts=3&hq=1&lens=2&upscale=1&upscaleSide=128&bgremove=1`,
    );
    expect(kind, JSON.stringify(payload)).toBe('HG_RESULT');
    expect(payload).toMatchObject({ model: 'test-tiny-sd-f16', threadsAsked: 2, crossOriginIsolated: true, alreadyStored: false });
    expect(payload.choice).toMatchObject({ backend: 'wasm', reasons: expect.arrayContaining([expect.stringMatching(/int8 weights built on this device/)]) });
    expect(Object.keys(payload.phasesMs as object).sort()).toEqual(['deriving', 'downloading', 'loading']);
    expect(payload.loads).toEqual([expect.objectContaining({ backend: 'wasm', wasmThreads: 2, size: 64 })]);
    expect(payload.engineLoads).toBe(1);
    const drafts = payload.drafts as Draft[];
    expect(drafts).toHaveLength(3);
    for (const d of drafts) {
      expect(d.engine).toBe('wasm');
      expect(d.unet).toBeGreaterThan(0);
      // Quick Preview: the tiny decoder (the derived variant converted it too), not the VAE decoder.
      expect(d.vae).toBeUndefined();
      expect(d.tiny_decoder).toBeGreaterThan(0);
      expect(d.total).toBeGreaterThanOrEqual(d.unet + (d.tiny_decoder ?? 0));
      expect(d.pngBytes).toBeGreaterThan(100);
    }
    // Drafts 1 and 2 share a prompt (new seed): the second skips the text encoder; draft 3 has a new prompt.
    expect(drafts.map((d) => d.text_encoder > 0)).toEqual([true, false, true]);
    const hq = payload.hq as Draft;
    expect(hq.vae).toBeGreaterThan(0);
    expect(hq.tiny_decoder).toBeUndefined();
    // The Sketch lens's path (issue 17): sketch PNG -> tiny encoder -> UNet -> tiny decoder -> PNG.
    const lens = payload.lens as (Draft & { strokeToImageMs: number; exportMs: number; tiny_encoder: number })[];
    expect(lens).toHaveLength(2);
    for (const l of lens) {
      expect(l.tiny_encoder).toBeGreaterThan(0);
      expect(l.tiny_decoder).toBeGreaterThan(0);
      expect(l.strokeToImageMs).toBeGreaterThanOrEqual(l.total);
      expect(l.pngBytes).toBeGreaterThan(100);
    }
    // Upscaling (issue 17): 128 px to 512 px here (the GPU run uses 512 to 2048) with the real ESRGAN-slim weights, downloaded from the
    // mirror on this cold run (both scales of the wasm variant: models/esrgan-slim.json's 1829224
    // bytes), 128 px tiles.
    expect(payload.upscale).toMatchObject({ model: 'esrgan-slim', backend: 'wasm', scale: 4, inputSide: 128, alreadyStored: false });
    const [up, ...moreUps] = (payload.upscale as { runs: UpscaleRun[] }).runs;
    expect(moreUps).toEqual([]);
    expect(up).toMatchObject({ width: 512, height: 512, tiles: 1, downloadedBytes: 1829224 });
    if (!up) throw new Error('no upscale run');
    expect(up.storeMs).toBeGreaterThan(0);
    expect(up.firstTileMs).toBeGreaterThanOrEqual(up.storeMs);
    expect(up.wallMs).toBeGreaterThanOrEqual(Math.max(up.firstTileMs, up.inferenceMs));
    expect(up.inferenceMs).toBeGreaterThan(0);
    expect(up.pngBytes).toBeGreaterThan(10_000);
    expect((payload.upscale as { coldMs: number }).coldMs).toBe(up.wallMs);
    console.info(`upscale 128 -> 512 on WASM, cold: ${up.wallMs} ms (model ${up.inferenceMs} ms, ${up.tiles} tiles)`);
    // Background removal of a 1024 px picture (first visit: the download is part of the first run).
    const bgremove = expectBgRemove(payload.bgremove, 'wasm', 1);
    expect(bgremove.warmMedianMs).toBeNull();
    expect(bgremove.runs[0]?.downloadMs).toBeGreaterThan(0);
    // The main thread stays free while the int8 weights are derived and the model loads (workers do
    // both). The goal, no task over 50 ms, is measured in Chromium on the GPU machine's host, where
    // every launch had none during download, derivation, load and drafts (BENCHMARKS.md, issue 14).
    // On this shared 2-core machine (load average 20+) a task's wall time stretches with scheduling:
    // 53-98 ms tasks showed up in every phase, and 150-320 ms ones at page start-up. So here the bound
    // is what a real block looks like (the 1.3 s blocks of issue 14's starting point), not the noise.
    const BLOCK_MS = 250;
    const starts = payload.phaseStarts as { phase: string; at: number }[];
    const from = starts.find((p) => p.phase === 'deriving')?.at ?? Number.NaN;
    const to = starts.find((p) => p.phase === 'ready')?.at ?? Number.NaN;
    expect(to).toBeGreaterThan(from);
    const longTasks = (payload.longTasks as { entries: { at: number; ms: number }[] }).entries;
    expect(longTasks.filter((t) => t.at >= from && t.at < to && t.ms > BLOCK_MS)).toEqual([]);
    expect(problems.pageErrors).toEqual([]);
    // The 4x upscale on WASM (16 tiles of 152 px) takes tens of seconds on this loaded machine.
  }, 360_000);

  it('on the next visit loads the stored variant at page open, once, and the first draft waits for that load', async () => {
    const { kind, payload } = await runBenchPage(page, `${suite().server.url}/bench-local.html?model=test-tiny-sd-f16&backend=wasm&threads=1&drafts=1`);
    expect(kind, JSON.stringify(payload)).toBe('HG_RESULT');
    expect(payload).toMatchObject({ alreadyStored: true, threadsAsked: 1, engineLoads: 1 });
    expect(Object.keys(payload.phasesMs as object)).toEqual(['loading']);
    expect(payload.loads).toEqual([expect.objectContaining({ wasmThreads: 1 })]);
    expect(payload.drafts).toHaveLength(1);
  });

  it('reports the capabilities alone with probe=1, and a typed error without a model', async () => {
    const probe = await runBenchPage(page, `${suite().server.url}/bench-local.html?model=test-tiny-sd-f16&probe=1`);
    expect(probe.kind).toBe('HG_RESULT');
    expect(probe.payload).toMatchObject({ probe: true, crossOriginIsolated: true, wasm: { threads: true }, webgpu: { available: false } });
    const missing = await runBenchPage(page, `${suite().server.url}/bench-local.html`);
    expect(missing.kind).toBe('HG_ERROR');
    expect(missing.payload.message).toMatch(/model=/);
    const unknown = await runBenchPage(page, `${suite().server.url}/bench-local.html?model=no-such-model`);
    expect(unknown.kind).toBe('HG_ERROR');
    expect(String(unknown.payload.message)).toMatch(/no-such-model|404|not found/i);
  });

  it('with bgremove=N alone, removes backgrounds only: first run vs warm ones', async () => {
    const { kind, payload } = await runBenchPage(page, `${suite().server.url}/bench-local.html?bgremove=2&backend=wasm`);
    expect(kind, JSON.stringify(payload)).toBe('HG_RESULT');
    expect(payload).not.toHaveProperty('drafts');
    const bgremove = expectBgRemove(payload.bgremove, 'wasm', 2);
    expect(bgremove.warmMedianMs).toBe(bgremove.runs[1]?.totalMs);
    console.info(`bgremove=2 on WASM, 1024 px: ${JSON.stringify(bgremove.runs)}`);
  });
});

describe('bench-local.html on WebGPU without shader-f16 (SwiftShader): the derived fp32 path through the local renderer', () => {
  const suite = useSuite({ webgpu: true, server: { args: ['-models-dir', fp16OnlyMirror()] } });

  it('downloads the fp16 files, builds fp32 weights once, drafts on WebGPU with no validation error', async () => {
    const context = await suite().browser.newContext();
    try {
      const page = await context.newPage();
      const problems = watchPage(page);
      const { kind, payload } = await runBenchPage(page, `${suite().server.url}/bench-local.html?model=test-tiny-sd-f16&fallbackAdapter=1&drafts=2`);
      expect(kind, JSON.stringify(payload)).toBe('HG_RESULT');
      expect(payload.webgpu).toMatchObject({ isFallbackAdapter: true });
      expect(payload.choice).toMatchObject({
        backend: 'webgpu-f32',
        reasons: expect.arrayContaining([expect.stringMatching(/fp32 weights built on this device/)]),
      });
      expect(Object.keys(payload.phasesMs as object).sort()).toEqual(['deriving', 'downloading', 'loading']);
      expect(payload.loads).toEqual([expect.objectContaining({ backend: 'webgpu-f32' })]);
      const drafts = payload.drafts as { engine: string; unet: number }[];
      expect(drafts.map((d) => d.engine)).toEqual(['webgpu-f32', 'webgpu-f32']);
      expect(drafts.every((d) => d.unet > 0)).toBe(true);
      // The derived fp32 UNet runs its attention fused (self- and cross-attention), as the page reports.
      expect(payload.derivedVariants).toMatchObject({ fp32: { attentionFused: { unet: 2 } } });
      expect(problems.gpuErrors).toEqual([]);
      expect(problems.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
