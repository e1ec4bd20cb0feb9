// The capability report and the backend choice in the browser the Firefox project runs
// (HYBRIDGEN_BROWSER): WebGPU off gives WASM with its reason; WebGPU on over lavapipe gives an
// adapter with shader-f16, and fp16 weights are chosen for it.

import type { CapabilityReport, ModelRequirements } from '@hybridgen/core';
import { describe, expect, it } from 'vitest';
import type { TestPage } from '../harness/driver.js';
import { openTestPage, useCrossSuite } from '../harness/fixtures.js';

const MiB = 1024 ** 2;
// Small enough for lavapipe's 128 MiB binding limit: only the device's own features decide.
const model: ModelRequirements = {
  modelId: 'small',
  variants: {
    'webgpu-f16': { totalBytes: 60 * MiB, largestBufferBytes: 20 * MiB, peakMemoryBytes: 200 * MiB, needsShaderF16: true },
    'webgpu-f32': { totalBytes: 120 * MiB, largestBufferBytes: 40 * MiB, peakMemoryBytes: 300 * MiB, needsShaderF16: false },
    wasm: { totalBytes: 120 * MiB, largestBufferBytes: 40 * MiB, peakMemoryBytes: 300 * MiB, needsShaderF16: false },
  },
};

function detect(page: TestPage): Promise<CapabilityReport> {
  return page.evaluate(() => window.hg.core.detectCapabilities());
}

describe('without WebGPU', () => {
  const suite = useCrossSuite({ webgpu: false });

  it('reports WebGPU unavailable with a reason, WASM threads on the isolated page, and chooses WASM', async () => {
    const { page, context } = await openTestPage(suite());
    const report = await detect(page);
    expect(report.context).toBe('window');
    expect(report.webgpu.available).toBe(false);
    if (report.webgpu.available) return;
    expect(['no-adapter', 'no-navigator-gpu']).toContain(report.webgpu.reason);
    expect(report.webgpu.message.length).toBeGreaterThan(10);
    expect(report.wasm).toMatchObject({ supported: true, simd: true, crossOriginIsolated: true, sharedArrayBuffer: true, threads: true });
    expect(report.storage.opfs).toBe(true);
    expect(report.storage.estimate?.quotaBytes).toBeGreaterThan(0);
    expect(report.secureContext).toBe(true);
    const choice = await page.evaluate((m) => window.hg.core.detectCapabilities().then((caps) => window.hg.core.chooseBackend(caps, m)), model);
    expect(choice.backend).toBe('wasm');
    expect(choice.rejected).toContainEqual(expect.objectContaining({ backend: 'webgpu-f16', code: 'webgpu-unavailable' }));
    expect(choice.reasons.join(' ')).toMatch(/WASM on \d+ of \d+ CPU threads/);
    expect(page.problems.pageErrors).toEqual([]);
    await context.close();
  });

  it('reports the same from a Worker', async () => {
    const { page, context } = await openTestPage(suite());
    const [fromWindow, fromWorker] = await Promise.all([detect(page), page.evaluate(() => window.hg.detectInWorker())]);
    expect(fromWorker.context).toBe('dedicated-worker');
    expect(fromWorker.webgpu).toEqual(fromWindow.webgpu);
    expect(fromWorker.wasm).toEqual(fromWindow.wasm);
    expect(fromWorker.storage.opfs).toBe(true);
    await context.close();
  });
});

describe('with WebGPU (Firefox: Mesa 25 lavapipe)', () => {
  const suite = useCrossSuite({ webgpu: true });

  it('reports an adapter, and picks fp16 weights exactly when it has shader-f16', async () => {
    const { page, context } = await openTestPage(suite());
    const report = await detect(page);
    expect(report.timedOut).toEqual([]);
    if (!report.webgpu.available) throw new Error(`expected WebGPU: ${report.webgpu.message}`);
    expect(report.webgpu.shaderF16).toBe(report.webgpu.features.includes('shader-f16'));
    // Firefox over lavapipe offers shader-f16 (Chromium's SwiftShader does not): the fp16 path.
    if (suite().browser.name === 'firefox') expect(report.webgpu.shaderF16).toBe(true);
    expect(report.webgpu.adapter.isFallbackAdapter).toBe(true);
    expect(report.webgpu.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * MiB);

    const choice = await page.evaluate((m) => {
      const { core } = window.hg;
      return core.detectCapabilities().then((caps) => ({
        preferWasm: core.chooseBackend(caps, m),
        allowSoftware: core.chooseBackend(caps, m, { allowFallbackAdapter: true }),
      }));
    }, model);
    expect(choice.preferWasm.backend).toBe('wasm');
    expect(choice.preferWasm.rejected).toContainEqual(expect.objectContaining({ code: 'fallback-adapter' }));
    expect(choice.allowSoftware.backend).toBe(report.webgpu.shaderF16 ? 'webgpu-f16' : 'webgpu-f32');
    const fromWorker = await page.evaluate(() => window.hg.detectInWorker());
    expect(fromWorker.webgpu).toEqual(report.webgpu);
    expect(page.problems.pageErrors).toEqual([]);
    await context.close();
  });
});
