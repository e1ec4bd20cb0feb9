import { AllRoutesFailedError } from '@hybridgen/core';
import { describe, expect, it } from 'vitest';
import { cleanMessage, errorText, keptText, resultText } from './words.js';

describe('words for errors', () => {
  it('drops URLs, class-name prefixes and repeats', () => {
    expect(cleanMessage('text_encoder/model.onnx: HTTP 404 Not Found from http://127.0.0.1:8080/models/x/model.onnx')).toBe('HTTP 404 Not Found');
    expect(cleanMessage('prompt: must be at most 2000 characters (prompt: must be at most 2000 characters)')).toBe('prompt: must be at most 2000 characters');
    expect(cleanMessage('CloudApiError: budget exceeded')).toBe('budget exceeded');
  });

  it('says where each attempt failed, once', () => {
    const error = new AllRoutesFailedError([{ source: 'local', error: new Error('DownloadError: fetch failed from https://mirror.internal/models/a') }]);
    expect(errorText(error, { serverReachable: true })).toBe('On this device: fetch failed');
  });
});

describe('words for results', () => {
  const base = {
    image: new Blob(),
    width: 512,
    height: 512,
    seed: 1,
    model: 'm',
    steps: 1,
    costUsd: 0,
    fallback: null,
    avoidedCostUsd: 0,
    routeReason: '',
  } as const;

  it('gives the image its own time, and says why High Quality stayed on this device', () => {
    const draft = {
      ...base,
      source: 'local',
      settings: 'draft',
      engine: 'webgpu-f32',
      routeCode: 'local-draft',
      timings: { engine: 412, total: 20_100 },
    } as const;
    expect(resultText(draft, { serverReachable: true })).toBe('Drafted on this device (WebGPU) in 0.4 s');
    const hq = { ...base, source: 'local', settings: 'hq', engine: 'wasm', routeCode: 'no-cloud-target', timings: { engine: 2_000, total: 2_100 } } as const;
    expect(resultText(hq, { serverReachable: true })).toBe(
      'Rendered on this device (WebAssembly) at High Quality settings in 2.0 s: no cloud target is configured',
    );
    expect(resultText(hq, { serverReachable: false })).toBe(
      'Rendered on this device (WebAssembly) at High Quality settings in 2.0 s: the server cannot be reached',
    );
    expect(resultText({ ...hq, routeCode: 'local-mode' }, { serverReachable: true })).toBe(
      'Rendered on this device (WebAssembly) at High Quality settings in 2.0 s',
    );
  });

  it('says a kept draft was decoded in full, with the time of the re-decode', () => {
    const kept = {
      ...base,
      source: 'local',
      settings: 'draft',
      engine: 'webgpu-f32',
      routeCode: 'local-mode',
      decoder: 'full',
      timings: { engine: 930 },
    } as const;
    expect(keptText(kept)).toBe('Kept: decoded in full on this device (WebGPU) in 0.9 s');
  });
});
