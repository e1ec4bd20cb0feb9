/**
 * Each network alone in a bare session with the demo's options, CPU tensors in and out, under a
 * time budget per stage (a stage that takes minutes per run reports the runs it managed instead
 * of stalling the benchmark). Used for the WASM path on the machine's CPU (fp32, the variant the
 * engine uses for WASM) and for per-network WebGPU figures, ablations included. Failures (e.g.
 * the wasm32 heap running out) are recorded as they happen.
 */
import path from 'node:path';
import { createSession, demoOptions } from './anchor.mjs';
import { promptIds, randn, summarise } from './env.mjs';

function feedsFor(ort, role, latent, hidden, vocabSize) {
  if (role === 'text_encoder') {
    const ids = new Int32Array(77);
    ids.set(promptIds(vocabSize));
    return { input_ids: new ort.Tensor('int32', ids, [1, 77]) };
  }
  const lat = randn(4 * latent * latent, 7);
  if (role.startsWith('unet'))
    return {
      sample: new ort.Tensor('float32', lat, [1, 4, latent, latent]),
      timestep: new ort.Tensor('int64', BigInt64Array.of(999n), [1]),
      encoder_hidden_states: new ort.Tensor('float32', randn(77 * hidden, 9), [1, 77, hidden]),
    };
  return { latent_sample: new ort.Tensor('float32', lat, [1, 4, latent, latent]) };
}

/** Runs each stage alone: create, first run, then warm runs until `runs` or `budgetMs` is reached. */
export async function runStages(
  ort,
  { provider = 'wasm', modelDir, vocabSize = 49408, size = 512, hidden = 1024, runs = 10, budgetMs = 60000, stages, log = () => {}, onStage = () => {} },
) {
  const latent = size / 8;
  const out = {};
  for (const dir of stages) {
    const role = dir === 'text_encoder' ? dir : dir.startsWith('unet') ? 'unet' : 'decoder';
    const r = {};
    let session;
    try {
      const c = await createSession(ort, path.join(modelDir, dir), demoOptions(role, latent, provider));
      session = c.session;
      r.readMs = Math.round(c.readMs);
      r.createMs = Math.round(c.createMs);
      r.rssAfterCreateMiB = Math.round(process.memoryUsage().rss / 2 ** 20);
      const all = feedsFor(ort, role, latent, hidden, vocabSize);
      const feeds = Object.fromEntries(session.inputNames.map((n) => [n, all[n]]));
      let t = performance.now();
      const first = await session.run(feeds);
      r.firstRunMs = Math.round(performance.now() - t);
      // Output fingerprint: variants of one network (e.g. unet vs unet_mha) must agree.
      const y = first[session.outputNames[0]].data;
      let sq = 0;
      for (let i = 0; i < y.length; i++) sq += y[i] * y[i];
      r.output = { rms: Number(Math.sqrt(sq / y.length).toPrecision(6)), head: Array.from(y.slice(0, 4), (v) => Number(v.toPrecision(6))) };
      const times = [];
      const start = performance.now();
      while (times.length < runs && performance.now() - start + r.firstRunMs < budgetMs) {
        t = performance.now();
        await session.run(feeds);
        times.push({ ms: performance.now() - t });
      }
      r.maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
      r.warm = times.length ? summarise(times) : { runs: 0, note: `budget ${budgetMs / 1000} s spent on the first run` };
    } catch (error) {
      r.error = `${error?.name ?? 'Error'}: ${error?.message ?? String(error)}`;
    } finally {
      await session?.release().catch(() => {});
    }
    log(`  ${provider} ${dir}: ${JSON.stringify(r)}`);
    out[dir] = r;
    onStage(out);
  }
  return out;
}
