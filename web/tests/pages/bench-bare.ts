// The anchor of the browser benchmark: a bare SD-Turbo pipeline written the way the ONNX Runtime Web
// SD-Turbo demo (microsoft/onnxruntime-inference-examples js/sd-turbo) runs it, in the same Chromium
// and on the same source files as bench-local.html: the fp16 download's fp32 variant, derived here
// once into OPFS `variants/<model>/fp32-plain` without the attention fusion (the demo runs the
// published graph as it is; bench-local's own fp32 variant has MultiHeadAttention), before the clock
// starts. On the page's main thread, as the demo; webgpu EP; the demo's
// session options and freeDimensionOverrides; `last_hidden_state` kept on the GPU; latents, the
// scheduler step and the pixel mapping on the CPU; performance.now per stage. No tokenizer: fixed
// token ids (the time does not depend on them).
//
// Query: model=<manifest id> (required), runs=<warm drafts per decoder> (default 10),
// opts=demo (default: the demo's session options) | plain (ORT's defaults, same overrides and output
// location: the memory comparison). Output: `HG_RESULT <json>` or `HG_ERROR <json>` on the console.

import type { ModelVariant } from '@hybridgen/core';
import { createVariantBuilder, openStoredVariant, opfsDirectory } from '@hybridgen/variants';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import * as ort from 'onnxruntime-web/webgpu';

const params = new URLSearchParams(location.search);
const modelId = params.get('model');
const runs = Number(params.get('runs') ?? '10');
const demoOpts = (params.get('opts') ?? 'demo') === 'demo';
const SIGMA = 14.6146;
const VAE_SCALING = 0.18215;
const LATENT = 64;

type Role = 'text_encoder' | 'unet' | 'vae_decoder' | 'tiny_decoder';

function emit(kind: 'HG_PROGRESS' | 'HG_RESULT' | 'HG_ERROR', payload: unknown): void {
  console.log(`${kind} ${JSON.stringify(payload)}`);
}

/** The demo's options (index.js), or ORT's defaults with the same overrides and output location. */
function options(role: Role): ort.InferenceSession.SessionOptions {
  const overrides: Record<Role, Record<string, number>> = {
    text_encoder: { batch_size: 1 },
    unet: { batch_size: 1, num_channels: 4, height: LATENT, width: LATENT, sequence_length: 77 },
    vae_decoder: { batch_size: 1, num_channels_latent: 4, height_latent: LATENT, width_latent: LATENT },
    tiny_decoder: { batch_size: 1, num_channels_latent: 4, height_latent: LATENT, width_latent: LATENT },
  };
  const base: ort.InferenceSession.SessionOptions = {
    executionProviders: ['webgpu'],
    freeDimensionOverrides: overrides[role],
    ...(role === 'text_encoder' ? { preferredOutputLocation: { last_hidden_state: 'gpu-buffer' } } : {}),
  };
  if (!demoOpts) return base;
  return {
    ...base,
    enableMemPattern: false,
    enableCpuMemArena: false,
    extra: {
      session: {
        disable_prepacking: '1',
        use_device_allocator_for_initializers: '1',
        use_ort_model_bytes_directly: '1',
        use_ort_model_bytes_for_initializers: '1',
      },
    },
  };
}

/** Standard normal noise (Box-Muller over a small LCG): the values do not matter for the time. */
function randn(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 4294967297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next())) * Math.cos(2 * Math.PI * next());
  return out;
}

async function draft(s: Record<Role, ort.InferenceSession>, decoder: 'vae_decoder' | 'tiny_decoder', seed: number) {
  const start = performance.now();
  const ids = new Int32Array(77);
  ids.set([49406, 320, 1710, 530, 320, 2368, 49407]);
  let t = performance.now();
  const { last_hidden_state } = await s.text_encoder.run({ input_ids: new ort.Tensor('int32', ids, [1, 77]) });
  const textEncoder = performance.now() - t;
  const n = 4 * LATENT * LATENT;
  const noise = randn(n, seed);
  const scaled = new Float32Array(n);
  const div = Math.sqrt(SIGMA ** 2 + 1);
  for (let i = 0; i < n; i++) {
    noise[i] = (noise[i] as number) * SIGMA;
    scaled[i] = (noise[i] as number) / div;
  }
  t = performance.now();
  const { out_sample } = await s.unet.run({
    sample: new ort.Tensor('float32', scaled, [1, 4, LATENT, LATENT]),
    timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
    encoder_hidden_states: last_hidden_state as ort.Tensor,
  });
  const eps = (await (out_sample as ort.Tensor).getData()) as Float32Array;
  const unet = performance.now() - t;
  (last_hidden_state as ort.Tensor).dispose();
  const scale = decoder === 'tiny_decoder' ? 1 : VAE_SCALING;
  const x0 = new Float32Array(n);
  for (let i = 0; i < n; i++) x0[i] = ((noise[i] as number) - SIGMA * (eps[i] as number)) / scale;
  t = performance.now();
  const { sample } = await s[decoder].run({ latent_sample: new ort.Tensor('float32', x0, [1, 4, LATENT, LATENT]) });
  const pix = (await (sample as ort.Tensor).getData()) as Float32Array;
  const decode = performance.now() - t;
  t = performance.now();
  const plane = pix.length / 3;
  const rgba = new Uint8ClampedArray(plane * 4);
  const [m, a] = decoder === 'tiny_decoder' ? [255, 0] : [127.5, 127.5];
  for (let i = 0; i < plane; i++) {
    rgba[i * 4] = (pix[i] as number) * m + a;
    rgba[i * 4 + 1] = (pix[plane + i] as number) * m + a;
    rgba[i * 4 + 2] = (pix[2 * plane + i] as number) * m + a;
    rgba[i * 4 + 3] = 255;
  }
  const pixels = performance.now() - t;
  return { textEncoder, unet, decoder: decode, pixels, total: performance.now() - start };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function summarise(list: Record<string, number>[]): Record<string, number> {
  const keys = Object.keys(list[0] ?? {});
  return Object.fromEntries(keys.map((k) => [k, Math.round(median(list.map((r) => r[k] as number)) * 10) / 10]));
}

/** The plain fp32 variant (no attention fusion) of the mirror's fp16 files, derived once into OPFS. */
async function plainFp32(id: string): Promise<{ deriveMs: number }> {
  const outDir = `variants/${id}/fp32-plain`;
  if (await openStoredVariant(await opfsDirectory(await navigator.storage.getDirectory(), outDir))) return { deriveMs: 0 };
  const t = performance.now();
  const base = `/models/${encodeURIComponent(id)}/`;
  const manifest = (await (await fetch(`${base}manifest.json`)).json()) as { variants: Record<string, ModelVariant> };
  const f16 = manifest.variants['webgpu-f16'];
  if (!f16) throw new Error(`${id} has no webgpu-f16 variant`);
  const blobs: Record<string, Blob> = {};
  for (const f of f16.files) blobs[f.path] = await (await fetch(base + f.path)).blob();
  const builder = createVariantBuilder({ createWorker: () => new Worker(new URL('./variants.worker.ts', import.meta.url), { type: 'module' }) });
  try {
    await builder.build({ kind: 'fp32', files: f16.files, blobs, outDir, fuseAttention: false });
  } finally {
    builder.dispose();
  }
  return { deriveMs: Math.round(performance.now() - t) };
}

async function main(): Promise<void> {
  if (!modelId) throw new Error('the query needs model=<manifest id>');
  const plain = await plainFp32(modelId);
  const start = performance.now();
  ort.env.wasm.wasmPaths = { wasm: wasmUrl };
  const root = await opfsDirectory(await navigator.storage.getDirectory(), `variants/${modelId}/fp32-plain`);
  const stored = await openStoredVariant(root);
  if (!stored) throw new Error(`no plain fp32 variant of ${modelId} in OPFS`);
  const sessions: Partial<Record<Role, ort.InferenceSession>> = {};
  const load: Record<string, { readMs: number; createMs: number }> = {};
  for (const role of ['text_encoder', 'unet', 'vae_decoder', 'tiny_decoder'] as Role[]) {
    const entry = stored.variant.files.find((f) => f.role === role);
    if (!entry) continue;
    const dir = entry.path.slice(0, entry.path.lastIndexOf('/') + 1);
    let t = performance.now();
    const bytes = new Uint8Array(await (stored.files[entry.path] as File).arrayBuffer());
    const externalData = [];
    for (const f of stored.variant.files.filter((x) => x.role === 'external_data' && x.path.startsWith(dir)))
      externalData.push({ path: f.path.slice(dir.length), data: new Uint8Array(await (stored.files[f.path] as File).arrayBuffer()) });
    const readMs = performance.now() - t;
    t = performance.now();
    sessions[role] = await ort.InferenceSession.create(bytes, { ...options(role), ...(externalData.length ? { externalData } : {}) });
    load[role] = { readMs: Math.round(readMs), createMs: Math.round(performance.now() - t) };
    emit('HG_PROGRESS', { t: Math.round(performance.now() - start), created: role, ...load[role] });
  }
  const s = sessions as Record<Role, ort.InferenceSession>;
  const loadMs = performance.now() - start;
  const decoders = (['vae_decoder', 'tiny_decoder'] as const).filter((d) => s[d]);
  const first: Record<string, unknown> = {};
  for (const d of decoders) first[d] = await draft(s, d, 1);
  const firstImageMs = performance.now() - start;
  const warm: Record<string, Record<string, number>[]> = Object.fromEntries(decoders.map((d) => [d, []]));
  for (let i = 0; i < runs; i++) for (const d of decoders) warm[d]?.push(await draft(s, d, i + 2));
  emit('HG_RESULT', {
    page: 'bench-bare',
    opts: demoOpts ? 'demo' : 'plain',
    model: modelId,
    userAgent: navigator.userAgent,
    files: { variant: 'fp32-plain', attentionFused: stored.attentionFused, deriveMs: plain.deriveMs },
    load,
    loadMs: Math.round(loadMs),
    firstImageMs: Math.round(firstImageMs),
    first,
    warm: Object.fromEntries(
      Object.entries(warm).map(([d, list]) => [d, { median: summarise(list), all: list.map((r) => Math.round((r.total ?? 0) * 10) / 10) }]),
    ),
  });
}

main().catch((error: unknown) => emit('HG_ERROR', { message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
