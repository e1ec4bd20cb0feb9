import { describe, expect, it } from 'vitest';
import { decideRoute, type RouteInput } from './policy.js';
import type { CloudStatus, LocalStatus } from './types.js';

const gpuReady: LocalStatus = { available: true, warm: true, backend: 'webgpu-f16', expectedDraftMs: 900 };
const wasmSlow: LocalStatus = { available: true, warm: true, backend: 'wasm', expectedDraftMs: 40_000 };
const wasmFast: LocalStatus = { available: true, warm: true, backend: 'wasm', expectedDraftMs: 3_000 };
const notDownloaded: LocalStatus = { available: false, warm: false, backend: 'webgpu-f32', expectedDraftMs: null, reason: 'the model is not downloaded' };
const noBackend: LocalStatus = { available: false, warm: false, backend: 'none', expectedDraftMs: null, reason: 'no backend can run the model here' };
const cloud: CloudStatus = { configured: true, target: 'runpod-sdxl', expectedMs: 8_000, draftPriceUsd: 0.002 };
const noCloud: CloudStatus = { configured: false, target: null, expectedMs: null, draftPriceUsd: 0.002 };

type Row = [name: string, input: Omit<RouteInput, 'allowCloudFallback'> & { allowCloudFallback?: boolean }, expected: string, reason: RegExp];

// expected: "primary/settings[>fallback]" or "none"
const table: Row[] = [
  [
    'auto draft, GPU ready: local, cloud as fallback',
    { quality: 'draft', mode: 'auto', local: gpuReady, cloud },
    'local/draft>cloud',
    /free on this device \(webgpu-f16\)/,
  ],
  [
    'auto draft, fallback not allowed: local only',
    { quality: 'draft', mode: 'auto', local: gpuReady, cloud, allowCloudFallback: false },
    'local/draft',
    /free/,
  ],
  ['auto draft, no cloud: local only', { quality: 'draft', mode: 'auto', local: gpuReady, cloud: noCloud }, 'local/draft', /free/],
  [
    'auto draft, model not downloaded: cloud',
    { quality: 'draft', mode: 'auto', local: notDownloaded, cloud },
    'cloud/draft',
    /because the model is not downloaded/,
  ],
  [
    'auto draft, no backend and no cloud: none',
    { quality: 'draft', mode: 'auto', local: noBackend, cloud: noCloud },
    'none',
    /no backend can run the model here/,
  ],
  ['auto draft, WASM slower than the cloud: cloud', { quality: 'draft', mode: 'auto', local: wasmSlow, cloud }, 'cloud/draft', /WASM draft takes ~40 s/],
  ['auto draft, WASM faster than the cloud: local', { quality: 'draft', mode: 'auto', local: wasmFast, cloud }, 'local/draft>cloud', /\(wasm\)/],
  ['auto draft, slow WASM but no cloud: local', { quality: 'draft', mode: 'auto', local: wasmSlow, cloud: noCloud }, 'local/draft', /\(wasm\)/],
  ['auto final: cloud', { quality: 'final', mode: 'auto', local: gpuReady, cloud }, 'cloud/hq', /finals render in the cloud/],
  [
    'auto final, no cloud: local at HQ settings',
    { quality: 'final', mode: 'auto', local: gpuReady, cloud: noCloud },
    'local/hq',
    /no cloud target is configured/,
  ],
  ['local mode draft', { quality: 'draft', mode: 'local', local: gpuReady, cloud }, 'local/draft', /local mode/],
  ['local mode final (HQ settings, no fallback)', { quality: 'final', mode: 'local', local: gpuReady, cloud }, 'local/hq', /local mode/],
  ['local mode, model missing: none', { quality: 'draft', mode: 'local', local: notDownloaded, cloud }, 'none', /local mode, but the model is not downloaded/],
  ['cloud mode final', { quality: 'final', mode: 'cloud', local: gpuReady, cloud }, 'cloud/hq', /cloud mode/],
  ['cloud mode draft', { quality: 'draft', mode: 'cloud', local: gpuReady, cloud }, 'cloud/draft', /cloud mode/],
  [
    'High Quality with no cloud target: local at HQ settings',
    { quality: 'final', mode: 'cloud', local: gpuReady, cloud: noCloud },
    'local/hq',
    /rendered locally at HQ/,
  ],
  [
    'cloud mode, nothing configured, draft: none',
    { quality: 'draft', mode: 'cloud', local: gpuReady, cloud: noCloud },
    'none',
    /no cloud target is configured/,
  ],
];

describe('decideRoute', () => {
  it.each(table)('%s', (_name, input, expected, reason) => {
    const decision = decideRoute({ allowCloudFallback: true, ...input });
    const got = decision.kind === 'no-route' ? 'none' : `${decision.primary}/${decision.settings}${decision.fallback ? `>${decision.fallback}` : ''}`;
    expect(got).toBe(expected);
    expect(decision.reason).toMatch(reason);
  });

  it.each([
    ['HQ without a cloud target renders locally', { quality: 'final', mode: 'cloud', local: gpuReady, cloud: noCloud }, 'no-cloud-target'],
    ['HQ without a cloud target or a local model', { quality: 'final', mode: 'cloud', local: notDownloaded, cloud: noCloud }, 'no-cloud-target'],
    ['an Auto draft on a ready GPU', { quality: 'draft', mode: 'auto', local: gpuReady, cloud }, 'local-draft'],
    ['Quick Preview without a local model', { quality: 'draft', mode: 'local', local: notDownloaded, cloud }, 'local-unavailable'],
    ['an Auto final with a cloud', { quality: 'final', mode: 'auto', local: gpuReady, cloud }, 'finals-in-cloud'],
    ['a slow WASM draft', { quality: 'draft', mode: 'auto', local: wasmSlow, cloud }, 'wasm-slower-than-cloud'],
  ] as const)('codes %s as %s', (_name, input, code) => {
    expect(decideRoute({ allowCloudFallback: true, ...input }).code).toBe(code);
  });
});
