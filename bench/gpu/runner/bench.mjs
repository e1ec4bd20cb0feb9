#!/usr/bin/env node
/**
 * GPU benchmark runner (issue 7). One suite per process:
 *
 *   node bench/gpu/runner/bench.mjs --suite gpu  --models DIR --node-modules DIR --bundle FILE --tokenizer DIR --out FILE
 *   node bench/gpu/runner/bench.mjs --suite wasm --models DIR --node-modules DIR --bundle FILE --tokenizer DIR --out FILE
 *
 * DIR holds text_encoder/, unet/, vae_decoder/ and optionally tiny_decoder/, each with
 * model.onnx (and files.json naming external data). `gpu`: Dawn adapter, then the anchor (bare
 * ORT, the demo's way) and our engine, each with the full VAE and the tiny decoder. `wasm`: each
 * network alone on the wasm EP under a time budget, then the engine asked for its wasm variant.
 * `webgpu-stages`: each network alone on the WebGPU EP, CPU tensors in and out (the UNet ablation
 * `unet_noattn` too, when it was exported).
 * See bench/gpu/CONTEXT.md and BENCHMARKS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runAnchor } from './anchor.mjs';
import { runEngine } from './engine.mjs';
import { installDawn, loadOrtWeb, releaseKeepAlive } from './env.mjs';
import { runStages } from './stages.mjs';

const { values: a } = parseArgs({
  options: {
    suite: { type: 'string', default: 'gpu' },
    models: { type: 'string' },
    'node-modules': { type: 'string', default: 'web/node_modules' },
    bundle: { type: 'string', default: 'bench/gpu/.build/engine.mjs' },
    tokenizer: { type: 'string' },
    size: { type: 'string', default: '512' },
    hidden: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    'budget-s': { type: 'string', default: '60' },
    skip: { type: 'string', default: '' },
    stages: { type: 'string', default: '' },
    out: { type: 'string' },
  },
});
const log = (s) => console.log(s);
const size = Number(a.size);
const runs = Number(a.runs);
const skip = new Set(a.skip.split(',').filter(Boolean));
const modelDir = path.resolve(a.models);
const nodeModules = path.resolve(a['node-modules']);
const tokenizerDir = path.resolve(a.tokenizer ?? path.join(modelDir, 'tokenizer'));
const vocabSize = (() => {
  try {
    const vocab = JSON.parse(fs.readFileSync(path.join(tokenizerDir, 'vocab.json'), 'utf8'));
    return Math.max(...Object.values(vocab)) + 1;
  } catch {
    return 49408;
  }
})();
const hasTiny = fs.existsSync(path.join(modelDir, 'tiny_decoder', 'model.onnx'));
const decoders = hasTiny ? ['vae_decoder', 'tiny_decoder'] : ['vae_decoder'];

const result = {
  suite: a.suite,
  date: new Date().toISOString(),
  node: process.version,
  host: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, memGiB: Math.round(os.totalmem() / 2 ** 30) },
  models: modelDir,
  size,
  runs,
};
// --stages a,b: only these networks in the wasm / webgpu-stages suites (e.g. one variant's UNet).
const onlyStages = a.stages ? a.stages.split(',').filter(Boolean) : null;
// The process's peak resident memory so far (Linux ru_maxrss, KiB), with the current RSS and heaps:
// one network per process gives that network's peak.
const processMemory = () => {
  const m = process.memoryUsage();
  const mb = (b) => Math.round(b / 2 ** 20);
  return { maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024), rssMiB: mb(m.rss), heapUsedMiB: mb(m.heapUsed), arrayBuffersMiB: mb(m.arrayBuffers), externalMiB: mb(m.external) };
};
const save = () => {
  result.processMemory = processMemory();
  if (a.out) fs.writeFileSync(a.out, JSON.stringify(result, null, 1));
};
const guarded = async (label, fn) => {
  try {
    return await fn();
  } catch (error) {
    log(`  ${label} failed: ${error?.stack ?? error}`);
    return { error: `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}` };
  } finally {
    save();
  }
};

if (a.suite === 'gpu') {
  result.adapter = await installDawn(nodeModules);
  log(`adapter: ${JSON.stringify(result.adapter)}`);
  if (result.adapter.error) {
    save();
    process.exit(1);
  }
  const { ort, version } = await loadOrtWeb(nodeModules, { threads: 1 });
  result.ortWeb = version;
  result.anchor = {};
  result.engine = {};
  for (const decoder of decoders) {
    if (!skip.has('anchor'))
      result.anchor[decoder] = await guarded(`anchor ${decoder}`, () => runAnchor(ort, { modelDir, decoder, size, runs, vocabSize, log }));
    if (!skip.has('engine'))
      result.engine[decoder] = await guarded(`engine ${decoder}`, () => runEngine(ort, { bundle: a.bundle, modelDir, decoder, tokenizerDir, size, runs, log }));
    log(`${decoder}: anchor ${JSON.stringify(result.anchor[decoder]?.warm)} engine ${JSON.stringify(result.engine[decoder]?.warm)}`);
  }
  // Ratios against the anchor measured in this run (issue 7's goals).
  const anchorFull = result.anchor.vae_decoder?.warm?.total;
  const r = (x, y) => (x && y ? Math.round((x / y) * 1000) / 1000 : null);
  result.ratios = {
    engineOverAnchorFullVae: r(result.engine.vae_decoder?.warm?.wall, anchorFull),
    engineOverAnchorTinyDecoder: r(result.engine.tiny_decoder?.warm?.wall, result.anchor.tiny_decoder?.warm?.total),
    anchorFullVaeOverEngineTinyDecoder: r(anchorFull, result.engine.tiny_decoder?.warm?.wall),
  };
  log(`ratios: ${JSON.stringify(result.ratios)} (goals: engine/anchor <= 1.0; anchor full VAE / engine tiny decoder >= 3)`);
} else if (a.suite === 'wasm') {
  const threads = Number(a.threads);
  const { ort, version } = await loadOrtWeb(nodeModules, { threads });
  result.ortWeb = version;
  result.wasmThreads = threads;
  if (!skip.has('engine'))
    result.engineWasm = await guarded('engine wasm', () =>
      runEngine(ort, { bundle: a.bundle, modelDir, decoder: decoders.at(-1), tokenizerDir, backend: 'wasm', size, runs: Math.min(runs, 3), threads, log }),
    );
  log(`engine wasm: ${JSON.stringify(result.engineWasm)}`);
  result.stages = await guarded('wasm stages', () =>
    runStages(ort, {
      provider: 'wasm',
      modelDir,
      vocabSize,
      size,
      hidden: Number(a.hidden),
      runs,
      budgetMs: Number(a['budget-s']) * 1000,
      stages: onlyStages ?? ['text_encoder', ...decoders.reverse(), 'unet'],
      log,
      onStage: (s) => {
        result.stages = s;
        save();
      },
    }),
  );
} else if (a.suite === 'webgpu-stages') {
  result.adapter = await installDawn(nodeModules);
  const { ort, version } = await loadOrtWeb(nodeModules, { threads: 1 });
  result.ortWeb = version;
  const present = ['text_encoder', 'unet', 'unet_mha', 'unet_noattn', 'vae_decoder', 'vae_decoder_mha', 'tiny_decoder'].filter((d) =>
    fs.existsSync(path.join(modelDir, d, 'model.onnx')),
  );
  result.stages = await guarded('webgpu stages', () =>
    runStages(ort, {
      provider: 'webgpu',
      modelDir,
      vocabSize,
      size,
      hidden: Number(a.hidden),
      runs,
      budgetMs: Number(a['budget-s']) * 1000,
      stages: onlyStages ?? present,
      log,
    }),
  );
} else {
  throw new Error(`unknown suite ${a.suite}`);
}
save();
releaseKeepAlive();
log('done');
process.exit(0);
