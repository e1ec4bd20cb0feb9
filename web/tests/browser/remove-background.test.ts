import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { openPage } from '../harness/browser.js';
import { useSuite } from '../harness/fixtures.js';
import { makeModelsDir, pullSelfieSegmentation } from '../harness/mirror.js';
import { buildDir, testsDir } from '../harness/paths.js';

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
//
// Independent of our converter, the same tarball's own MediaPipe solution (selfie_segmentation.js, its
// SIMD WebAssembly graph runner, selfie_segmentation.binarypb and the same selfie_segmentation.tflite:
// `modelSelection: 0`, the general 256x256 model; 1 would be the 144x256 landscape one) segments the same
// picture in the same page. It fetches its files through `locateFile`, by default next to the page, never
// from a CDN by itself (the CDN is only in Google's examples); Playwright serves them here from the
// unpacked tarball under /mediapipe/, so it runs offline in headless Chromium (WebGL2 on SwiftShader for
// its image ops). What is compared: the person probability at the model's resolution, 256x256, as 8-bit
// values: MediaPipe's segmentation mask (its alpha channel; for a 256 px picture its resizes are
// identities) against our output's alpha (the app's path on WASM; the 256 -> 256 mask scaling is an
// identity too). MediaPipe runs with `useCpuInference: true` (TFLite's CPU kernels in its WebAssembly, as
// it does by default on Apple devices). Measured: 4 of 65536 pixels differ, by 1/255 (mean 0.00006/255),
// IoU of the masks thresholded at 128 = 1. Asserted: max 3/255, mean < 0.05/255, IoU >= 0.999.
// MediaPipe's default elsewhere, TFLite's WebGL delegate, measured once (not run here: about 40 s of
// shader work on SwiftShader): max 11/255, mean 0.021/255, 1016 pixels differ, IoU 0.99997.
const modelsDir = makeModelsDir();
const fixture = (name: string) => Array.from(readFileSync(join(testsDir, 'fixtures', name)));
const BOXES = { person: [95, 30, 140, 70], background: [0, 0, 40, 40] };
const MEDIAPIPE_DIR = mkdtempSync(join(tmpdir(), 'hybridgen-mediapipe-'));
const MEDIA_TYPES: Record<string, string> = { js: 'text/javascript', wasm: 'application/wasm' };

describe('background removal with MediaPipe selfie segmentation (real weights, WASM)', () => {
  const suite = useSuite({ webgpu: false, server: { args: ['-models-dir', modelsDir] } });
  let manifest: unknown;

  beforeAll(async () => {
    const tarball = await pullSelfieSegmentation(modelsDir);
    await promisify(execFile)('tar', ['-xzf', tarball, '-C', MEDIAPIPE_DIR, '--strip-components=1']);
    manifest = JSON.parse(readFileSync(join(modelsDir, 'selfie-segmentation', 'manifest.json'), 'utf8'));
  }, 120_000);

  // MediaPipe's own solution on `source` in `page`, its files served from the unpacked tarball; its mask
  // compared with the alpha of our `png`.
  const againstMediaPipe = async (page: Page, context: BrowserContext, png: number[], source: number[]) => {
    await context.route(`${suite().server.url}/mediapipe/*`, (route) => {
      const file = basename(new URL(route.request().url()).pathname);
      const type = MEDIA_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream';
      return route.fulfill({ contentType: type, body: readFileSync(join(MEDIAPIPE_DIR, file)) });
    });
    const theirs = await page.evaluate((image) => window.hgMediaPipe.selfieMask('/mediapipe/', image, { useCpuInference: true }), source);
    expect([theirs.width, theirs.height]).toEqual([256, 256]);
    const diff = await page.evaluate(([ours, mask]) => window.hgMediaPipe.compareWithMask(ours, mask), [png, theirs.mask] as const);
    console.info(
      `ours vs MediaPipe's own mask: max |diff| ${diff.maxAbs}/255, mean ${diff.meanAbs.toFixed(5)}, ${diff.differing} pixels differ, ` +
        `IoU ${diff.iou.toFixed(5)}; MediaPipe init ${theirs.initMs.toFixed(0)} ms, run ${theirs.sendMs.toFixed(0)} ms`,
    );
    return diff;
  };

  const open = async () => {
    const { page, context, problems } = await openPage(suite().browser, suite().server.url);
    await page.waitForFunction(() => 'hgImaging' in window);
    return { page, context, problems };
  };

  it("makes the background transparent, matching the golden alpha map and MediaPipe's own mask", async () => {
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
    const mediapipe = await againstMediaPipe(page, context, out.png, source);
    expect(mediapipe.foreground).toBeGreaterThan(0.2 * 256 * 256);
    expect(mediapipe.maxAbs).toBeLessThanOrEqual(3);
    expect(mediapipe.meanAbs).toBeLessThan(0.05);
    expect(mediapipe.iou).toBeGreaterThanOrEqual(0.999);
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
