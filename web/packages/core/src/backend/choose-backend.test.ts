import { describe, expect, it } from 'vitest';
import type { CapabilityReport } from '../capabilities/types.js';
import { fakeCapabilities as caps, fakeWebGPU as gpu } from '../testing/capabilities.js';
import { MiB } from '../util/bytes.js';
import { chooseBackend } from './choose-backend.js';
import type { Backend, ChooseBackendOptions, ModelRequirements, RejectionCode } from './types.js';

const sdTurbo: ModelRequirements = {
  modelId: 'sd-turbo',
  variants: {
    'webgpu-f16': { totalBytes: 2.5e9, largestBufferBytes: 200 * MiB, peakMemoryBytes: 3.0e9, needsShaderF16: true },
    'webgpu-f32': { totalBytes: 5.0e9, largestBufferBytes: 400 * MiB, peakMemoryBytes: 3.5e9, needsShaderF16: false },
    wasm: { totalBytes: 1.4e9, largestBufferBytes: 100 * MiB, peakMemoryBytes: 2.2e9, needsShaderF16: false },
  },
};

const noWebGPU = { available: false, reason: 'no-navigator-gpu', message: 'navigator.gpu is missing' } as const;

interface Case {
  readonly name: string;
  readonly caps: CapabilityReport;
  readonly options?: ChooseBackendOptions;
  readonly model?: ModelRequirements;
  readonly backend: Backend | 'none';
  readonly reason: RegExp;
  readonly rejected?: readonly [Backend, RejectionCode][];
}

const cases: Case[] = [
  { name: 'GPU with shader-f16 takes the fp16 weights', caps: caps(), backend: 'webgpu-f16', reason: /WebGPU on nvidia hopper: fp16 weights/ },
  {
    name: 'GPU without shader-f16 falls to fp32 and says how much memory',
    caps: caps({ webgpu: gpu({ f16: false }) }),
    backend: 'webgpu-f32',
    reason: /no shader-f16: fp32 weights needed, 3\.5 GB GPU memory/,
    rejected: [['webgpu-f16', 'no-shader-f16']],
  },
  {
    name: 'a small maxBufferSize rules WebGPU out and WASM runs',
    caps: caps({ webgpu: gpu({ f16: true, maxBuffer: 128 * MiB }) }),
    backend: 'wasm',
    reason: /WASM on 7 of 8 CPU threads/,
    rejected: [
      ['webgpu-f16', 'buffer-too-large'],
      ['webgpu-f32', 'buffer-too-large'],
    ],
  },
  {
    name: 'a fallback adapter is not preferred over WASM',
    caps: caps({ webgpu: gpu({ fallback: true, f16: false }) }),
    backend: 'wasm',
    reason: /WASM/,
    rejected: [
      ['webgpu-f16', 'no-shader-f16'],
      ['webgpu-f32', 'fallback-adapter'],
    ],
  },
  {
    name: 'a fallback adapter is used when the caller allows it',
    caps: caps({ webgpu: gpu({ fallback: true, f16: false }) }),
    options: { allowFallbackAdapter: true },
    backend: 'webgpu-f32',
    reason: /software fallback: allowed by the caller/,
  },
  {
    name: 'a fallback adapter is still used when WASM cannot run the model',
    caps: caps({ webgpu: gpu({ fallback: true, f16: true }), wasm: { ...caps().wasm, supported: false, simd: false } }),
    backend: 'webgpu-f16',
    reason: /only the software WebGPU adapter/,
    rejected: [['wasm', 'wasm-unsupported']],
  },
  {
    name: 'no WebGPU: WASM is chosen',
    caps: caps({ webgpu: noWebGPU }),
    backend: 'wasm',
    reason: /WASM on 7 of 8 CPU threads, SIMD/,
    rejected: [
      ['webgpu-f16', 'webgpu-unavailable'],
      ['webgpu-f32', 'webgpu-unavailable'],
    ],
  },
  {
    name: 'no WebGPU: the reason names the thread count the engine configured',
    caps: caps({ webgpu: noWebGPU }),
    options: { wasmThreads: 4 },
    backend: 'wasm',
    reason: /WASM on 4 of 8 CPU threads, SIMD/,
  },
  {
    name: 'no WebGPU, core count unknown: one thread, said so',
    caps: caps({ webgpu: noWebGPU, device: { ...caps().device, hardwareConcurrency: null } }),
    backend: 'wasm',
    reason: /WASM on 1 CPU thread \(core count unknown\), SIMD/,
  },
  {
    name: 'no WebGPU and a non-isolated page: WASM on one thread',
    caps: caps({ webgpu: noWebGPU, wasm: { ...caps().wasm, threads: false, crossOriginIsolated: false } }),
    backend: 'wasm',
    reason: /one CPU thread \(page not cross-origin isolated\)/,
  },
  {
    name: 'no storage: nothing can keep the weights',
    caps: caps({ storage: { opfs: false, estimate: null, persisted: null } }),
    backend: 'none',
    reason: /no origin private file system/,
    rejected: [
      ['webgpu-f16', 'no-storage'],
      ['webgpu-f32', 'no-storage'],
      ['wasm', 'no-storage'],
    ],
  },
  {
    name: 'a quota too small for fp16 weights but enough for the WASM variant',
    caps: caps({ storage: { opfs: true, estimate: { quotaBytes: 2e9, usageBytes: 0 }, persisted: false } }),
    backend: 'wasm',
    reason: /1\.4 GB to download once/,
    rejected: [
      ['webgpu-f16', 'quota'],
      ['webgpu-f32', 'quota'],
    ],
  },
  {
    name: 'weights already stored need no quota',
    caps: caps({ storage: { opfs: true, estimate: { quotaBytes: 1e9, usageBytes: 0.9e9 }, persisted: true } }),
    options: { storedBytes: { 'webgpu-f16': 2.5e9 } },
    backend: 'webgpu-f16',
    reason: /already stored/,
  },
  {
    name: 'a WASM variant over 4 GiB cannot run in wasm32',
    caps: caps({ webgpu: noWebGPU }),
    model: { modelId: 'big', variants: { wasm: { totalBytes: 5e9, largestBufferBytes: 1e9, peakMemoryBytes: 5e9, needsShaderF16: false } } },
    backend: 'none',
    reason: /wasm32 addresses at most 4\.3 GB/,
  },
  {
    name: 'a device reporting 2 GiB of RAM cannot hold the WASM variant',
    caps: caps({ webgpu: noWebGPU, device: { deviceMemoryGiB: 2, hardwareConcurrency: 4, onLine: true, userAgent: 'x' } }),
    backend: 'none',
    reason: /device reports about 2 GiB/,
  },
  {
    name: 'the caller can restrict backends',
    caps: caps(),
    options: { allow: ['wasm'] },
    backend: 'wasm',
    reason: /WASM/,
    rejected: [
      ['webgpu-f16', 'not-allowed'],
      ['webgpu-f32', 'not-allowed'],
    ],
  },
];

describe('chooseBackend', () => {
  it.each(cases)('$name', (c) => {
    const choice = chooseBackend(c.caps, c.model ?? sdTurbo, c.options);
    expect(choice.backend).toBe(c.backend);
    expect(choice.reasons.join('\n')).toMatch(c.reason);
    for (const [backend, code] of c.rejected ?? []) {
      expect(choice.rejected).toContainEqual(expect.objectContaining({ backend, code }));
    }
    if (c.backend === 'none') {
      expect(choice.variant).toBeNull();
    } else {
      expect(choice.variant).toBe((c.model ?? sdTurbo).variants[c.backend]);
      expect(choice.rejected.map((r) => r.backend)).not.toContain(c.backend);
    }
  });

  it('is pure: the same inputs give the same answer', () => {
    const report = caps({ webgpu: gpu({ f16: false }) });
    expect(chooseBackend(report, sdTurbo)).toEqual(chooseBackend(report, sdTurbo));
  });
});
