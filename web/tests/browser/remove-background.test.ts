import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { openPage } from '../harness/browser.js';
import { useSuite } from '../harness/fixtures.js';
import { makeModelsDir } from '../harness/mirror.js';
import { buildDir, hybridgenBinary, testsDir } from '../harness/paths.js';

// Background removal with the REAL weights of @mediapipe/selfie_segmentation 0.1.1675465747 (Apache-2.0):
// npm pack fetches the published tarball (npm's cache after the first run), `hybridgen models pull` checks
// its pinned git blob SHA-1 and converts its TFLite selfie segmenter to ONNX into the mirror, the page's
// model store downloads it verified, and the background remover's worker runs it.
//
// The picture is scikit-image's "astronaut" (Eileen Collins, NASA, public domain; Debian's python3-skimage),
// 2x2-averaged to 256 px: the model's input size, so no resampling stands between the model and the alpha.
// The golden alpha map (fixtures/astronaut-256-alpha.png) is the converted model's mask run by
// onnxruntime-node on the CPU, rounded to 0-255. Tolerance: alpha within 3/255 at every pixel and 0.1/255 on
// average (float rounding order differs between ORT's native and WebAssembly kernels); RGB untouched where
// the alpha stays 255. The person's face must stay opaque and the black sky transparent.
const run = promisify(execFile);
const PACKAGE = '@mediapipe/selfie_segmentation@0.1.1675465747';
const modelsDir = makeModelsDir();
const packs = mkdtempSync(join(tmpdir(), 'hybridgen-npm-'));
const fixture = (name: string) => Array.from(readFileSync(join(testsDir, 'fixtures', name)));
const BOXES = { person: [95, 30, 140, 70], background: [0, 0, 40, 40] };

describe('background removal with MediaPipe selfie segmentation (real weights, WASM)', () => {
  const suite = useSuite({ webgpu: false, server: { args: ['-models-dir', modelsDir] } });
  let manifest: unknown;

  beforeAll(async () => {
    await run('npm', ['pack', PACKAGE, '--pack-destination', packs, '--silent', '--prefer-offline'], { cwd: testsDir });
    await run(hybridgenBinary(), ['models', 'pull', 'selfie-segmentation', '-dir', modelsDir, '-npm-packs', packs]);
    manifest = JSON.parse(readFileSync(join(modelsDir, 'selfie-segmentation', 'manifest.json'), 'utf8'));
  }, 120_000);

  const open = async () => {
    const { page, context, problems } = await openPage(suite().browser, suite().server.url);
    await page.waitForFunction(() => 'hgImaging' in window);
    return { page, context, problems };
  };

  it('makes the background transparent, matching the golden alpha map', async () => {
    const { page, context, problems } = await open();
    const source = fixture('astronaut-256.png');
    const out = await page.evaluate(([m, png]) => window.hgImaging.removeBackground(m, png, { backend: 'wasm' }), [manifest, source] as const);
    if ('aborted' in out) throw new Error('aborted');
    expect([out.width, out.height]).toEqual([256, 256]);
    expect(out.steps).toEqual(['download', 'segment']);
    const diff = await page.evaluate(([png, src, golden, boxes]) => window.hgImaging.compareAlpha(png, src, golden, boxes), [
      out.png,
      source,
      fixture('astronaut-256-alpha.png'),
      BOXES,
    ] as const);
    expect(diff.hasAlphaChannel).toBe(true);
    expect(diff.maxAbs).toBeLessThanOrEqual(3);
    expect(diff.meanAbs).toBeLessThan(0.1);
    expect(diff.rgbMaxDiff).toBe(0);
    expect(diff.personAlpha).toBeGreaterThan(250);
    expect(diff.backgroundAlpha).toBeLessThan(5);
    writeFileSync(join(buildDir, 'remove-background.png'), Uint8Array.from(out.png));
    console.info(
      `selfie-segmentation on WASM: ${out.inferenceMs.toFixed(0)} ms in the model; alpha max |diff| ${diff.maxAbs}, mean ${diff.meanAbs.toFixed(4)}`,
    );
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  }, 180_000);

  it('cancels with the signal reason', async () => {
    const { page, context, problems } = await open();
    const out = await page.evaluate(([m, png]) => window.hgImaging.removeBackground(m, png, { backend: 'wasm', abort: true }), [
      manifest,
      fixture('astronaut-256.png'),
    ] as const);
    expect(out).toEqual({ aborted: true, sameReason: true });
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  }, 180_000);
});
