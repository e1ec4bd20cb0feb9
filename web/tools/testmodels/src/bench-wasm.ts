/**
 * Benchmark: one 64x64 px image (8x8 latents) through the tiny model's three
 * graphs on onnxruntime-web's WASM EP (one thread, as on a page without
 * cross-origin isolation), with onnxruntime-node's CPU EP on the same graphs
 * as the baseline measured in the same run. Prints figures; asserts nothing.
 *
 *   npm run bench:testmodels [-- --precision fp16] [-- --runs 10]
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import * as ortNode from 'onnxruntime-node';
import { GRAPH_ROLES, type GraphRole, type Precision } from './contract.js';
import { generateTestModels } from './generate.js';

const { values } = parseArgs({ options: { precision: { type: 'string', default: 'fp32' }, runs: { type: 'string', default: '10' } } });
const precision = values.precision as Precision;
const runs = Number(values.runs);

// ORT-web's wasm would otherwise be tiered up to TurboFan in the background (about a minute of CPU on 2 cores),
// which is not what a browser page costs and skews every figure.
v8.setFlagsFromString('--liftoff-only');
const ortWeb = await import('onnxruntime-web/wasm');
const require = createRequire(import.meta.url);
ortWeb.env.wasm.wasmBinary = readFileSync(join(dirname(require.resolve('onnxruntime-web/wasm')), 'ort-wasm-simd-threaded.wasm'));
ortWeb.env.wasm.numThreads = 1;

type Runtime = typeof ortNode | typeof ortWeb;
type Session = ortNode.InferenceSession; // both runtimes implement onnxruntime-common's InferenceSession

const model = generateTestModels({ outDir: join(tmpdir(), 'hybridgen-bench-testmodels') });
const ids = new Int32Array(77);
ids.set([912, 320, 564, 540, 320, 570, 913]);
const latents = Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i * 12.9898) * 2);

async function pipeline(ort: Runtime, sessions: Record<GraphRole, Session>): Promise<Record<GraphRole | 'total', number>> {
  const T = ort.Tensor as typeof ortNode.Tensor;
  const t0 = performance.now();
  const text = await sessions.text_encoder.run({ input_ids: new T('int32', ids, [1, 77]) } as never);
  const t1 = performance.now();
  const unet = await sessions.unet.run({
    sample: new T('float32', latents, [1, 4, 8, 8]),
    timestep: new T('int64', BigInt64Array.of(999n), [1]),
    encoder_hidden_states: text.last_hidden_state,
  } as never);
  const t2 = performance.now();
  await sessions.vae_decoder.run({ latent_sample: unet.out_sample } as never);
  const t3 = performance.now();
  return { text_encoder: t1 - t0, unet: t2 - t1, vae_decoder: t3 - t2, total: t3 - t0 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function measure(name: string, ort: Runtime, executionProviders: string[]): Promise<number> {
  const created = performance.now();
  const sessions = {} as Record<GraphRole, Session>;
  for (const role of GRAPH_ROLES) {
    sessions[role] = await (ort.InferenceSession as typeof ortNode.InferenceSession).create(readFileSync(model.graphs[precision][role]), {
      executionProviders,
    });
  }
  const createMs = performance.now() - created;
  const first = await pipeline(ort, sessions);
  const warm: Record<string, number[]> = { text_encoder: [], unet: [], vae_decoder: [], total: [] };
  for (let i = 0; i < runs; i++) for (const [k, v] of Object.entries(await pipeline(ort, sessions))) warm[k]?.push(v);
  const fmt = (x: number) => `${x.toFixed(1)} ms`;
  console.log(
    `${name.padEnd(28)} create ${fmt(createMs)} | first image ${fmt(first.total)} | warm median: text ${fmt(median(warm.text_encoder ?? []))}, ` +
      `unet ${fmt(median(warm.unet ?? []))}, vae ${fmt(median(warm.vae_decoder ?? []))}, total ${fmt(median(warm.total ?? []))}`,
  );
  for (const s of Object.values(sessions)) await s.release();
  return median(warm.total ?? []);
}

console.log(`test-tiny-sd ${precision}, 64x64 px (8x8 latents), ${runs} warm runs`);
const baseline = await measure('onnxruntime-node cpu', ortNode, ['cpu']);
const wasm = await measure('onnxruntime-web wasm 1 thr', ortWeb, ['wasm']);
console.log(`ratio wasm / node-cpu (warm total): ${(wasm / baseline).toFixed(2)}`);
process.exit(0);
