import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { openPage } from '../harness/browser.js';
import { useSuite } from '../harness/fixtures.js';
import { makeModelsDir } from '../harness/mirror.js';
import { buildDir } from '../harness/paths.js';
import { pullEsrganSlim } from '../harness/upscaler-model.js';

// Upscaling with the REAL weights of @upscalerjs/esrgan-slim 1.0.0 (MIT): npm pack fetches the
// published tarball (npm's cache after the first run), `hybridgen models pull` checks its pinned git
// blob SHA-1 and converts its TF.js models to ONNX into the mirror, the page's model store downloads
// them verified, and the upscaler's worker runs them tile by tile. The reference is UpscalerJS's own
// output shipped in the same package: assets/samples/<n>x/result.png of assets/fixture.png (128 px).
//
// Tolerance: RGB within 2/255 at every compared pixel and 0.05/255 on average. The converted graph computes
// the same function as TF.js; what differs is float rounding order (tiles, WASM vs TF.js kernels),
// which moves a few pixels by one level (measured: max 1, mean 0.0001 in onnxruntime-node).
const run = promisify(execFile);
const modelsDir = makeModelsDir();
let packs = '';
const asset = (path: string) => Array.from(readFileSync(join(packs, 'package', 'assets', path)));

describe('upscaling with ESRGAN slim (real weights, WASM)', () => {
  const suite = useSuite({ webgpu: false, server: { args: ['-models-dir', modelsDir] } });
  let manifest: unknown;

  beforeAll(async () => {
    packs = await pullEsrganSlim(modelsDir);
    await run('tar', ['xzf', join(packs, 'upscalerjs-esrgan-slim-1.0.0.tgz'), '-C', packs, 'package/assets']);
    manifest = JSON.parse(readFileSync(join(modelsDir, 'esrgan-slim', 'manifest.json'), 'utf8'));
  }, 120_000);

  const open = async () => {
    const { page, context, problems } = await openPage(suite().browser, suite().server.url);
    await page.waitForFunction(() => 'hgImaging' in window);
    return { page, context, problems };
  };

  // The fixture's top-left 64 px: its top and left edges are the image's, so the model sees the same zero
  // padding there as on the whole image; output pixels more than the receptive field (10 input px) from
  // the crop's right and bottom edges must equal the reference's.
  const CROP = 64;
  const exact = (scale: number) => (CROP - 10) * scale;

  it('upscales 4x in tiles to UpscalerJS own output, keeping the alpha channel', async () => {
    const { page, context, problems } = await open();
    // 32 px tiles: 4 tiles, each read with the model's 12 px of context.
    const out = await page.evaluate(([m, png, crop]) => window.hgImaging.upscale(m, png, { scale: 4, backend: 'wasm', tileSize: 32, crop }), [
      manifest,
      asset('fixture.png'),
      CROP,
    ] as const);
    if ('aborted' in out) throw new Error('aborted');
    expect([out.width, out.height, out.tiles]).toEqual([4 * CROP, 4 * CROP, 4]);
    expect(out.steps).toEqual(['download', 'upscale']);
    const diff = await page.evaluate(([png, ref, region]) => window.hgImaging.compare(png, ref, { scale: 4, region, alphaRamp: false, minAlpha: 0 }), [
      out.png,
      asset('samples/4x/result.png'),
      exact(4),
    ] as const);
    expect(diff).toMatchObject({ hasAlphaChannel: true, alphaMaxDiff: 0 });
    expect(diff.maxAbs).toBeLessThanOrEqual(2);
    expect(diff.meanAbs).toBeLessThan(0.05);
    writeFileSync(join(buildDir, 'upscale-4x.png'), Uint8Array.from(out.png));
    console.info(`esrgan-slim 4x of ${CROP} px on WASM: ${out.ms.toFixed(0)} ms with the download; max |diff| ${diff.maxAbs}, mean ${diff.meanAbs.toFixed(4)}`);
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  }, 180_000);

  it('upscales 2x in one tile, and carries a transparent picture alpha through', async () => {
    const { page, context, problems } = await open();
    const out = await page.evaluate(([m, png, crop]) => window.hgImaging.upscale(m, png, { scale: 2, backend: 'wasm', crop, alphaRamp: true }), [
      manifest,
      asset('fixture.png'),
      CROP,
    ] as const);
    if ('aborted' in out) throw new Error('aborted');
    expect([out.width, out.height, out.tiles]).toEqual([2 * CROP, 2 * CROP, 1]);
    const diff = await page.evaluate(([png, ref, region]) => window.hgImaging.compare(png, ref, { scale: 2, region, alphaRamp: true, minAlpha: 128 }), [
      out.png,
      asset('samples/2x/result.png'),
      exact(2),
    ] as const);
    expect(diff).toMatchObject({ hasAlphaChannel: true, alphaMaxDiff: 0 });
    // RGB where alpha >= 128: canvases store colour premultiplied, so fainter pixels lose levels.
    expect(diff.maxAbs).toBeLessThanOrEqual(3);
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  }, 180_000);

  it('reports progress per tile and cancels with the signal reason', async () => {
    const { page, context, problems } = await open();
    const out = await page.evaluate(
      ([m, png, crop]) => window.hgImaging.upscale(m, png, { scale: 2, backend: 'wasm', tileSize: 16, crop, abortAfterTiles: 1 }),
      [manifest, asset('fixture.png'), CROP] as const,
    );
    expect(out).toEqual({ aborted: true, sameReason: true, tiles: 16 });
    expect(problems.pageErrors).toEqual([]);
    await context.close();
  }, 180_000);
});
