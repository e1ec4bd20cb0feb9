import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_DEFAULT_WASM_THREADS } from '../../backend/wasm-threads.js';
import { defaultThreadCount } from './runtime.js';

function inWorker(options: { cores: number | undefined; isolated: boolean }): void {
  vi.stubGlobal('navigator', options.cores === undefined ? {} : { hardwareConcurrency: options.cores });
  vi.stubGlobal('crossOriginIsolated', options.isolated);
  vi.stubGlobal('document', undefined);
}

describe('defaultThreadCount', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it.each([
    [1, 1],
    [2, 2],
    [4, 4],
    [6, 5],
    [8, 7],
    [16, 15],
    [17, 16],
    [64, MAX_DEFAULT_WASM_THREADS],
  ])('uses %i cores as %i threads in an isolated worker', (cores, threads) => {
    inWorker({ cores, isolated: true });
    expect(defaultThreadCount()).toBe(threads);
  });

  it('is 1 without cross-origin isolation (no SharedArrayBuffer)', () => {
    inWorker({ cores: 16, isolated: false });
    expect(defaultThreadCount()).toBe(1);
  });

  it("is 1 on a window's main thread, where the pthread pool would block", () => {
    inWorker({ cores: 16, isolated: true });
    vi.stubGlobal('document', {});
    expect(defaultThreadCount()).toBe(1);
  });

  it('is 1 when the browser does not say how many cores it has', () => {
    inWorker({ cores: undefined, isolated: true });
    expect(defaultThreadCount()).toBe(1);
  });
});
