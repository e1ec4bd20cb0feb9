import type { CapabilityReport, ModelRequirements } from '@hybridgen/core';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { openPage } from '../harness/browser.js';
import { useSuite } from '../harness/fixtures.js';

const MiB = 1024 ** 2;
// A model shaped like SD-Turbo: every variant fits SwiftShader's 1 GiB buffers.
const model: ModelRequirements = {
  modelId: 'sd-turbo',
  variants: {
    'webgpu-f16': { totalBytes: 2.5e9, largestBufferBytes: 200 * MiB, peakMemoryBytes: 3e9, needsShaderF16: true },
    'webgpu-f32': { totalBytes: 5e9, largestBufferBytes: 400 * MiB, peakMemoryBytes: 3.5e9, needsShaderF16: false },
    wasm: { totalBytes: 1.4e9, largestBufferBytes: 100 * MiB, peakMemoryBytes: 2.2e9, needsShaderF16: false },
  },
};

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
}

function detect(page: Page): Promise<CapabilityReport> {
  return page.evaluate(() => window.hg.core.detectCapabilities());
}

describe('with WebGPU (SwiftShader)', () => {
  const suite = useSuite({ webgpu: true });

  it('reports a fallback adapter without shader-f16, and chooseBackend explains itself', async () => {
    const { page, context, problems } = await openPage(suite().browser, suite().server.url);
    await ready(page);
    const report = await detect(page);
    expect(report.context).toBe('window');
    expect(report.timedOut).toEqual([]);
    if (!report.webgpu.available) throw new Error(`expected WebGPU: ${report.webgpu.message}`);
    expect(report.webgpu.adapter.isFallbackAdapter).toBe(true);
    expect(report.webgpu.adapter.architecture).toBe('swiftshader');
    expect(report.webgpu.shaderF16).toBe(false);
    expect(report.webgpu.features).not.toContain('shader-f16');
    expect(report.webgpu.limits.maxBufferSize).toBeGreaterThanOrEqual(256 * MiB);
    expect(report.webgpu.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * MiB);

    const choice = await page.evaluate((m) => {
      const { core } = window.hg;
      return core.detectCapabilities().then((caps) => ({
        preferWasm: core.chooseBackend(caps, m),
        allowSoftware: core.chooseBackend(caps, m, { allowFallbackAdapter: true }),
      }));
    }, model);
    expect(choice.preferWasm.backend).toBe('wasm');
    expect(choice.preferWasm.rejected).toContainEqual(expect.objectContaining({ backend: 'webgpu-f16', code: 'no-shader-f16' }));
    expect(choice.preferWasm.rejected).toContainEqual(expect.objectContaining({ backend: 'webgpu-f32', code: 'fallback-adapter' }));
    expect(choice.allowSoftware.backend).toBe('webgpu-f32');
    expect(choice.allowSoftware.reasons.join(' ')).toMatch(/no shader-f16: fp32 weights needed/);
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  });

  it('reports the same from a Worker', async () => {
    const { page, context } = await openPage(suite().browser, suite().server.url);
    await ready(page);
    const [fromWindow, fromWorker] = await Promise.all([detect(page), page.evaluate(() => window.hg.detectInWorker())]);
    expect(fromWorker.context).toBe('dedicated-worker');
    expect(fromWorker.webgpu).toEqual(fromWindow.webgpu);
    expect(fromWorker.wasm).toEqual(fromWindow.wasm);
    expect(fromWorker.storage.opfs).toBe(true);
    await context.close();
  });

  it('reports WASM threads on a cross-origin isolated page', async () => {
    const { page, context } = await openPage(suite().browser, suite().server.url);
    await ready(page);
    const report = await detect(page);
    expect(report.wasm).toMatchObject({ supported: true, simd: true, crossOriginIsolated: true, sharedArrayBuffer: true, threads: true });
    expect(report.storage.opfs).toBe(true);
    expect(report.storage.estimate?.quotaBytes).toBeGreaterThan(0);
    expect(report.secureContext).toBe(true);
    expect(report.device.hardwareConcurrency).toBeGreaterThan(0);
    await context.close();
  });
});

describe('without WebGPU', () => {
  const suite = useSuite({ webgpu: false });

  it('reports WebGPU unavailable with a reason, and WASM is chosen', async () => {
    const { page, context } = await openPage(suite().browser, suite().server.url);
    await ready(page);
    const report = await detect(page);
    expect(report.webgpu.available).toBe(false);
    if (report.webgpu.available) return;
    expect(['no-adapter', 'no-navigator-gpu']).toContain(report.webgpu.reason);
    expect(report.webgpu.message.length).toBeGreaterThan(10);
    const choice = await page.evaluate((m) => window.hg.core.detectCapabilities().then((caps) => window.hg.core.chooseBackend(caps, m)), model);
    expect(choice.backend).toBe('wasm');
    expect(choice.rejected).toContainEqual(expect.objectContaining({ backend: 'webgpu-f32', code: 'webgpu-unavailable' }));
    await context.close();
  });

  it('reports WebGPU unavailable from a Worker too', async () => {
    const { page, context } = await openPage(suite().browser, suite().server.url);
    await ready(page);
    const report = await page.evaluate(() => window.hg.detectInWorker());
    expect(report.context).toBe('dedicated-worker');
    expect(report.webgpu.available).toBe(false);
    await context.close();
  });
});

describe('on a page that is not cross-origin isolated', () => {
  const suite = useSuite({ webgpu: false, server: { crossOriginIsolation: false } });

  it('does not report WASM threads', async () => {
    const { page, context } = await openPage(suite().browser, suite().server.url);
    await ready(page);
    const report = await detect(page);
    expect(report.wasm.crossOriginIsolated).toBe(false);
    expect(report.wasm.threads).toBe(false);
    expect(report.wasm.simd).toBe(true);
    const choice = await page.evaluate((m) => window.hg.core.detectCapabilities().then((caps) => window.hg.core.chooseBackend(caps, m)), model);
    expect(choice.reasons.join(' ')).toMatch(/one CPU thread \(page not cross-origin isolated\)/);
    await context.close();
  });
});
