import { describe, expect, it } from 'vitest';
import { AllRoutesFailedError, NoRouteError } from './errors.js';
import { createRouter } from './router.js';
import type { CloudRenderer, CloudStatus, LocalDraftReport, LocalRenderer, LocalStatus, RenderOutput, RenderRequest } from './types.js';

const png = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' });

/** A renderer that records its calls and answers as told. */
function renderer<S>(status: S, engine: string, behaviour: (request: RenderRequest, signal?: AbortSignal) => Promise<void> = async () => {}) {
  const calls: RenderRequest[] = [];
  return {
    calls,
    status: () => status,
    async render(request: RenderRequest, options: { signal?: AbortSignal }): Promise<RenderOutput> {
      calls.push(request);
      await behaviour(request, options.signal);
      return {
        image: png,
        width: request.width,
        height: request.height,
        seed: request.seed,
        model: 'test',
        engine,
        steps: 3,
        timings: { total: 5 },
        costUsd: engine === 'runpod' ? 0.004 : 0,
      };
    },
  };
}

const ready: LocalStatus = { available: true, warm: true, backend: 'webgpu-f32', expectedDraftMs: 500 };
const cloudOn: CloudStatus = { configured: true, target: 'runpod', expectedMs: 5000, draftPriceUsd: 0.002 };

function setup(local: LocalRenderer & { calls: RenderRequest[] }, cloud: ReturnType<typeof renderer<CloudStatus>>) {
  const reports: LocalDraftReport[] = [];
  const cloudRenderer: CloudRenderer = { ...cloud, reportLocalDraft: async (r) => void reports.push(r) };
  return { router: createRouter({ local, cloud: cloudRenderer, randomSeed: () => 42 }), reports };
}

describe('createRouter', () => {
  it('runs an auto draft locally, reports it to the ledger at cost 0 with the avoided price', async () => {
    const local = renderer(ready, 'webgpu-f32');
    const cloud = renderer(cloudOn, 'runpod');
    const { router, reports } = setup(local, cloud);
    const result = await router.generate({ prompt: 'a cat', width: 512, height: 512, quality: 'draft', mode: 'auto' });
    expect(result).toMatchObject({ source: 'local', costUsd: 0, avoidedCostUsd: 0.002, seed: 42, fallback: null, routeCode: 'local-draft' });
    expect(cloud.calls).toHaveLength(0);
    expect(reports).toEqual([expect.objectContaining({ engine: 'webgpu-f32', avoidedCostUsd: 0.002, steps: 3 })]);
  });

  it('passes the decoder to the local renderer, and records no draft for a re-decode (Keep)', async () => {
    const local = renderer(ready, 'webgpu-f32');
    const cloud = renderer(cloudOn, 'runpod');
    const { router, reports } = setup(local, cloud);
    await router.generate({ prompt: 'a cat', seed: 9, width: 512, height: 512, quality: 'draft', mode: 'local', decoder: 'full', recordDraft: false });
    expect(local.calls[0]).toMatchObject({ seed: 9, settings: 'draft', decoder: 'full' });
    expect(reports).toEqual([]);
  });

  it('falls back to the cloud when the local engine fails, and says why', async () => {
    const local = renderer(ready, 'webgpu-f32', async () => {
      throw new Error('GPU device lost');
    });
    const cloud = renderer(cloudOn, 'runpod');
    const { router, reports } = setup(local, cloud);
    const result = await router.generate({ prompt: 'a cat', seed: 7, width: 512, height: 512, quality: 'draft', mode: 'auto' });
    expect(result).toMatchObject({ source: 'cloud', costUsd: 0.004, seed: 7, fallback: { from: 'local', reason: 'Error: GPU device lost' } });
    expect(result.routeReason).toMatch(/local failed \(Error: GPU device lost\), so the cloud made it/);
    expect(cloud.calls[0]).toMatchObject({ seed: 7, settings: 'draft' });
    expect(reports).toEqual([]);
  });

  it('never falls back after an abort', async () => {
    const controller = new AbortController();
    const local = renderer(ready, 'webgpu-f32', async (_r, signal) => {
      controller.abort(new DOMException('stopped by the user', 'AbortError'));
      signal?.throwIfAborted();
    });
    const cloud = renderer(cloudOn, 'runpod');
    const { router } = setup(local, cloud);
    await expect(router.generate({ prompt: 'x', width: 64, height: 64, quality: 'draft', mode: 'auto', signal: controller.signal })).rejects.toThrow(
      'stopped by the user',
    );
    expect(cloud.calls).toHaveLength(0);
  });

  it('never falls back when the local path answers an abort with an error of its own (a worker revived abort)', async () => {
    const controller = new AbortController();
    const reason = new DOMException('stopped by the user', 'AbortError');
    const local = renderer(ready, 'webgpu-f32', async () => {
      controller.abort(reason);
      // What a worker's answer looks like after the page aborted: not the signal's reason object.
      throw Object.assign(new Error('the operation was aborted'), { name: 'EngineAbortedError' });
    });
    const cloud = renderer(cloudOn, 'runpod');
    const { router } = setup(local, cloud);
    const request = { prompt: 'x', width: 64, height: 64, quality: 'draft', mode: 'auto', signal: controller.signal } as const;
    await expect(router.generate(request)).rejects.toBe(reason);
    expect(cloud.calls).toHaveLength(0);
  });

  it('combines the errors when every path fails', async () => {
    const failing = async () => {
      throw new TypeError('boom');
    };
    const { router } = setup(renderer(ready, 'wasm', failing), renderer(cloudOn, 'runpod', failing));
    const error = await router.generate({ prompt: 'x', width: 64, height: 64, quality: 'draft', mode: 'auto' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllRoutesFailedError);
    expect((error as AllRoutesFailedError).attempts.map((a) => a.source)).toEqual(['local', 'cloud']);
    expect((error as Error).message).toMatch(/local: TypeError: boom\ncloud: TypeError: boom/);
  });

  it('codes a High Quality render made locally because no cloud target exists', async () => {
    const local = renderer(ready, 'webgpu-f32');
    const { router } = setup(local, renderer({ ...cloudOn, configured: false, target: null }, 'runpod'));
    const result = await router.generate({ prompt: 'x', width: 512, height: 512, quality: 'final', mode: 'cloud' });
    expect(result.routeCode).toBe('no-cloud-target');
    expect(local.calls[0]?.settings).toBe('hq');
  });

  it('refuses with NoRouteError when nothing can make the image', async () => {
    const { router } = setup(
      renderer({ ...ready, available: false, reason: 'the model is not downloaded' }, 'x'),
      renderer({ ...cloudOn, configured: false }, 'y'),
    );
    await expect(router.generate({ prompt: 'x', width: 64, height: 64, quality: 'draft', mode: 'local' })).rejects.toBeInstanceOf(NoRouteError);
  });
});
