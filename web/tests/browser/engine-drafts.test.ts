import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorArgs, modelsDir } from '../harness/engine-models.js';
import { pixelDifference, referenceImage } from '../harness/engine-reference.js';
import { useSuite } from '../harness/fixtures.js';
import { type EnginePage, openEnginePage, rgba, unwrap } from './engine-helpers.js';

// Drafts (issue 14): the tiny decoder for Quick Preview, the VAE decoder for High Quality, and the
// prompt-embedding cache. The test model has no tiny decoder of its own, so the page hands the engine
// the VAE decoder's file under the tiny_decoder role: the two decoders then differ only by the engine's
// conventions (the tiny decoder takes x0 as it is and outputs [0, 1]; the VAE decoder takes
// x0 / 0.18215 and outputs [-1, 1]), which the onnxruntime-node reference reproduces for each.

const modelDir = `${modelsDir}/test-tiny-sd`;
const request = { prompt: 'a red cat on a blue chair', seed: 1234, steps: 1 };
/** Tolerances, in 0..255 levels per channel: float math differs across ORT's CPU, WASM and WebGPU kernels. */
const CROSS_BACKEND = { max: 8, mean: 1 };

for (const backend of ['wasm', 'webgpu-f32'] as const) {
  describe(`drafts on ${backend}: tiny decoder and cached prompt embeddings`, () => {
    const suite = useSuite({ webgpu: backend !== 'wasm', server: { args: mirrorArgs } });
    // SwiftShader compiles every graph's shaders on the first run: minutes on a loaded 2-core machine.
    const timeout = backend === 'wasm' ? 120_000 : 300_000;
    let ep: EnginePage;

    beforeAll(async () => {
      ep = await openEnginePage(suite());
      const load = unwrap(await ep.page.evaluate((b) => window.hgEngine.load({ backend: b, tinyDecoderFromVae: true, warmUp: false }), backend));
      expect(load.ioTypes['tiny_decoder.latent_sample']).toBe('float32');
    });
    afterAll(async () => {
      await ep?.context.close();
    });

    it(
      'decodes with the tiny decoder when asked (x0 as it is, [0, 1]) and with the VAE decoder by default',
      async () => {
        const tiny = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate({ ...r, decoder: 'tiny' }), request));
        const full = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate(r), request));
        expect(tiny.decoder).toBe('tiny');
        expect(full.decoder).toBe('full');
        const tinyDiff = pixelDifference(rgba(tiny.rgbaBase64), await referenceImage({ modelDir, precision: 'fp32', size: 64, ...request, decoder: 'tiny' }));
        const fullDiff = pixelDifference(rgba(full.rgbaBase64), await referenceImage({ modelDir, precision: 'fp32', size: 64, ...request }));
        expect(tinyDiff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
        expect(tinyDiff.mean).toBeLessThanOrEqual(CROSS_BACKEND.mean);
        expect(fullDiff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
        expect(fullDiff.mean).toBeLessThanOrEqual(CROSS_BACKEND.mean);
        // Not the same picture: each decoder got its own input scale and output mapping.
        expect(pixelDifference(rgba(tiny.rgbaBase64), rgba(full.rgbaBase64)).mean).toBeGreaterThan(5);
      },
      timeout,
    );

    it(
      'skips the text encoder for a repeated prompt (new seed, same prompt), with the same pixels as uncached',
      async () => {
        const prompt = `a lighthouse at dusk ${backend}`;
        const first = unwrap(await ep.page.evaluate((p) => window.hgEngine.generate({ prompt: p, seed: 7 }), prompt));
        expect(first.timings.textEncoderCached).toBe(false);
        expect(first.timings.textEncoderMs).toBeGreaterThan(0);
        const seedOnly = unwrap(await ep.page.evaluate((p) => window.hgEngine.generate({ prompt: p, seed: 8 }), prompt));
        expect(seedOnly.timings.textEncoderCached).toBe(true);
        expect(seedOnly.timings.textEncoderMs).toBe(0);
        const again = unwrap(await ep.page.evaluate((p) => window.hgEngine.generate({ prompt: p, seed: 7, decoder: 'tiny' }), prompt));
        expect(again.timings.textEncoderCached).toBe(true);
        const reference = await referenceImage({ modelDir, precision: 'fp32', size: 64, prompt, seed: 7, steps: 1, decoder: 'tiny' });
        expect(pixelDifference(rgba(again.rgbaBase64), reference).max).toBeLessThanOrEqual(CROSS_BACKEND.max);
        const uncachedFull = unwrap(await ep.page.evaluate((p) => window.hgEngine.generate({ prompt: p, seed: 7 }), prompt));
        expect(rgba(uncachedFull.rgbaBase64)).toEqual(rgba(first.rgbaBase64));
        const other = unwrap(await ep.page.evaluate(() => window.hgEngine.generate({ prompt: 'another prompt entirely', seed: 7 })));
        expect(other.timings.textEncoderCached).toBe(false);
      },
      timeout,
    );

    it(
      'falls back to the VAE decoder when the variant has no tiny decoder',
      async () => {
        unwrap(await ep.page.evaluate((b) => window.hgEngine.load({ backend: b, tinyDecoderFromVae: false, warmUp: false }), backend));
        const image = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate({ ...r, decoder: 'tiny' }), request));
        expect(image.decoder).toBe('full');
        const reference = await referenceImage({ modelDir, precision: 'fp32', size: 64, ...request });
        expect(pixelDifference(rgba(image.rgbaBase64), reference).max).toBeLessThanOrEqual(CROSS_BACKEND.max);
      },
      timeout,
    );
  });
}
