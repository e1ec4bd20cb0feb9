/**
 * Our engine (web/packages/core's InPageEngine, bundled by build-engine.mjs) on the same
 * networks: load (sessions + one warm-up draft), then warm drafts through `generate`, with the
 * engine's own per-stage timings and the wall-clock time around each call. While drafting, an
 * interval probe records how long the thread's event loop was blocked (the long-task figure).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { modelFiles, summarise } from './env.mjs';

/** An EngineModel (the manifest part the engine reads) for one variant of the benchmark's networks. */
async function engineModel({ modelDir, decoder, tokenizerDir, backend, size }) {
  const files = [];
  const blobs = {};
  const add = async (role, rel, abs) => {
    files.push({ role, path: rel, bytes: fs.statSync(abs).size });
    blobs[rel] = await fs.openAsBlob(abs);
  };
  for (const f of ['vocab.json', 'merges.txt', 'special_tokens_map.json', 'tokenizer_config.json']) {
    if (fs.existsSync(path.join(tokenizerDir, f))) await add('tokenizer', `tokenizer/${f}`, path.join(tokenizerDir, f));
  }
  let total = 0;
  let largest = 0;
  for (const [role, dir] of [
    ['text_encoder', 'text_encoder'],
    ['unet', 'unet'],
    ['vae_decoder', decoder],
  ]) {
    const { model, externalData } = modelFiles(path.join(modelDir, dir));
    await add(role, `${role}/model.onnx`, model);
    total += fs.statSync(model).size;
    for (const e of externalData) {
      await add('external_data', `${role}/${e.name}`, e.file);
      const b = fs.statSync(e.file).size;
      total += b;
      largest = Math.max(largest, b);
    }
  }
  return {
    model: {
      id: `bench-${path.basename(modelDir)}-${decoder}`,
      pipeline: { kind: 'sd-turbo', textMaxLength: 77, padTokenId: 0, latentChannels: 4, vaeScaleFactor: 8, vaeScalingFactor: 0.18215, defaultSize: size },
      variants: {
        [backend]: { requirements: { totalBytes: total, largestBufferBytes: largest, peakMemoryBytes: Math.round(total * 1.2), needsShaderF16: false }, files },
      },
    },
    source: { kind: 'blobs', files: blobs },
  };
}

/** Largest gap between 1 ms interval ticks while `work` runs (how long the thread was blocked). */
async function withBlockingProbe(work) {
  let last = performance.now();
  let worst = 0;
  const gaps = [];
  const timer = setInterval(() => {
    const now = performance.now();
    const gap = now - last;
    if (gap > 50) gaps.push(Math.round(gap));
    worst = Math.max(worst, gap);
    last = now;
  }, 1);
  try {
    const result = await work();
    const tail = performance.now() - last; // a thread that never yielded to timers shows here
    if (tail > 50) gaps.push(Math.round(tail));
    worst = Math.max(worst, tail);
    return { result, worstBlockMs: Math.round(worst * 10) / 10, blocksOver50ms: gaps.length };
  } finally {
    clearInterval(timer);
  }
}

export async function runEngine(
  ort,
  { bundle, modelDir, decoder = 'vae_decoder', tokenizerDir, backend = 'webgpu-f32', size = 512, runs = 10, threads = 1, log = () => {} },
) {
  globalThis.__hybridgenBenchOrt = ort;
  const core = await import(pathToFileURL(path.resolve(bundle)).href);
  const engine = core.createInPageEngine({ runtime: { numThreads: threads }, detect: () => core.detectCapabilities() });
  const { model, source } = await engineModel({ modelDir, decoder, tokenizerDir, backend, size });
  const t0 = performance.now();
  const timer = setInterval(() => {}, 1000);
  let loaded;
  try {
    loaded = await engine.load({ model, source, backend, size });
  } catch (error) {
    return { decoder, backend, error: `${error.name}: ${error.message}` };
  } finally {
    clearInterval(timer);
  }
  const loadWallMs = performance.now() - t0;
  log(`  engine ${backend} ${decoder}: load ${Math.round(loadWallMs)} ms (${JSON.stringify(loaded.timings)})`);
  const warm = [];
  let blocking;
  try {
    const probe = await withBlockingProbe(async () => {
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const image = await engine.generate({ prompt: 'a photo of a cat', seed: i + 1, steps: 1 });
        const wall = performance.now() - t;
        const tm = image.timings;
        warm.push({
          tokenize: tm.tokenizeMs,
          textEncoder: tm.textEncoderMs,
          unet: tm.unetStepMs.reduce((a, b) => a + b, 0),
          decoder: tm.vaeMs,
          sessionRuns: tm.sessionRunMs,
          total: tm.totalMs,
          wall,
          overheadPct: ((wall - tm.sessionRunMs) / wall) * 100,
        });
      }
    });
    blocking = { worstBlockMs: probe.worstBlockMs, blocksOver50ms: probe.blocksOver50ms };
  } catch (error) {
    return { decoder, backend, load: loaded.timings, error: `${error.name}: ${error.message}` };
  } finally {
    await engine.unload().catch(() => {});
  }
  return {
    decoder,
    backend,
    loadWallMs: Math.round(loadWallMs),
    load: loaded.timings,
    reasons: loaded.reasons,
    warm: summarise(warm),
    warmAll: warm.map((r) => Math.round(r.wall * 10) / 10),
    mainThread: blocking,
  };
}
