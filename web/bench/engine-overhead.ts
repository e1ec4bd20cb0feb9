/**
 * Local-engine overhead: end-to-end time of `generate` against the sum of its
 * `session.run` calls, on the same runs, in real Chromium (SwiftShader WebGPU
 * and WASM) through the worker engine, on the generated tiny model.
 *
 *   cd web && npm run bench:engine -- [--runs N] [--gpu-sizes 64,128] [--wasm-sizes 64,256,512]
 *
 * Prints, per backend and size, medians of: the sum of session.run, the
 * engine's own total (inside the worker), the page's round trip (postMessage
 * both ways included), and both overheads in % of the session.run sum.
 * Goal: engine overhead <= 5 %.
 */
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../tests/harness/browser.js';
import setupModels from '../tests/harness/engine-models.js';
import buildPages from '../tests/harness/global-setup.js';
import { startServer } from '../tests/harness/server.js';

const { values } = parseArgs({
  args: process.argv.slice(3),
  options: {
    runs: { type: 'string', default: '7' },
    'gpu-sizes': { type: 'string', default: '64,128' },
    'wasm-sizes': { type: 'string', default: '64,256,512' },
  },
});
const runs = Number(values.runs);
// SwiftShader is a CPU emulation of a GPU: large sizes take minutes there.
const gpuSizes = values['gpu-sizes'].split(',').map(Number);
const wasmSizes = values['wasm-sizes'].split(',').map(Number);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

interface Row {
  backend: string;
  size: number;
  sessionRunMs: number;
  engineMs: number;
  roundTripMs: number;
  /** Median of (engine total - session.run sum) per run. */
  engineExtraMs: number;
  roundTripExtraMs: number;
}

async function measure(browser: Browser, url: string, backend: 'webgpu-f32' | 'wasm', size: number): Promise<Row> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === 'true');
  await page.evaluate(() => window.hgEngine.create('worker'));
  const load = await page.evaluate(([b, s]) => window.hgEngine.load({ backend: b as 'wasm', size: s as number }), [backend, size] as const);
  if (!load.ok) throw new Error(`${load.error.name}: ${load.error.message}`);
  const session: number[] = [];
  const engine: number[] = [];
  const roundTrip: number[] = [];
  const engineExtra: number[] = [];
  const roundTripExtra: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await page.evaluate((seed) => window.hgEngine.timedGenerate({ prompt: 'a red cat on a blue chair', seed, steps: 1 }), i);
    if (!r.ok) throw new Error(`${r.error.name}: ${r.error.message}`);
    session.push(r.value.timings.sessionRunMs);
    engine.push(r.value.timings.totalMs);
    roundTrip.push(r.value.roundTripMs);
    engineExtra.push(r.value.timings.totalMs - r.value.timings.sessionRunMs);
    roundTripExtra.push(r.value.roundTripMs - r.value.timings.sessionRunMs);
  }
  await context.close();
  return {
    backend,
    size,
    sessionRunMs: median(session),
    engineMs: median(engine),
    roundTripMs: median(roundTrip),
    engineExtraMs: median(engineExtra),
    roundTripExtraMs: median(roundTripExtra),
  };
}

await buildPages();
setupModels();
const server = await startServer();
const rows: Row[] = [];
for (const webgpu of [true, false]) {
  const browser = await launchChromium({ webgpu });
  try {
    for (const size of webgpu ? gpuSizes : wasmSizes) rows.push(await measure(browser, server.url, webgpu ? 'webgpu-f32' : 'wasm', size));
  } finally {
    await browser.close();
  }
}
await server.stop();

const pct = (extra: number, base: number): string => `${((extra / base) * 100).toFixed(1)} %`;
console.log(`\nLocal engine overhead, test-tiny-sd, 1 step, median of ${runs} runs (headless Chromium, worker engine, ${new Date().toISOString()})`);
console.log('| backend | size | sum of session.run | engine total | engine overhead | page round trip | round-trip overhead |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const ms = (v: number): string => `${v.toFixed(1)} ms`;
  console.log(
    `| ${r.backend} | ${r.size} px | ${ms(r.sessionRunMs)} | ${ms(r.engineMs)} | ${ms(r.engineExtraMs)} (${pct(r.engineExtraMs, r.sessionRunMs)}) | ${ms(r.roundTripMs)} | ${ms(r.roundTripExtraMs)} (${pct(r.roundTripExtraMs, r.sessionRunMs)}) |`,
  );
}
