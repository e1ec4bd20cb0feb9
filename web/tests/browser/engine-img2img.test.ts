import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mirrorArgs, modelsDir } from '../harness/engine-models.js';
import { pixelDifference } from '../harness/engine-reference.js';
import { useSuite } from '../harness/fixtures.js';
import { referenceImg2Img, testPicture } from '../harness/img2img-reference.js';
import { type EnginePage, openEnginePage, rgba, unwrap } from './engine-helpers.js';

// Image-to-image (issue 17): the test model's tiny encoder turns a picture into latents, noised to the
// strength; the UNet runs the schedule's last max(1, ceil(steps x strength)) steps; the tiny decoder
// makes the pixels. Compared with the same maths written out on onnxruntime-node.

const modelDir = `${modelsDir}/test-tiny-sd`;
const SIZE = 64;
const CROSS_BACKEND = { max: 8, mean: 1 };
const base = { prompt: 'a watercolour harbour', seed: 99, decoder: 'tiny' as const };

async function img2img(ep: EnginePage, request: typeof base & { steps: number }, picture: Uint8ClampedArray, strength: number) {
  return unwrap(
    await ep.page.evaluate(
      ([r, pixels, s, size]) => window.hgEngine.generate({ ...r, init: { rgba: Uint8ClampedArray.from(pixels), width: size, height: size, strength: s } }),
      [request, [...picture], strength, SIZE] as const,
    ),
  );
}

for (const backend of ['wasm', 'webgpu-f32'] as const) {
  describe(`image-to-image on ${backend}`, () => {
    const suite = useSuite({ webgpu: backend !== 'wasm', server: { args: mirrorArgs } });
    const timeout = backend === 'wasm' ? 120_000 : 300_000;
    let ep: EnginePage;

    beforeAll(async () => {
      ep = await openEnginePage(suite());
      unwrap(await ep.page.evaluate((b) => window.hgEngine.load({ backend: b, warmUp: false }), backend));
    });
    afterAll(async () => {
      await ep?.context.close();
    });

    it(
      'loads the encoder only on the first image-to-image run, then matches the reference',
      async () => {
        const atLoad = (await ep.page.evaluate(() => window.hgEngine.progress())).filter((p) => p.stage === 'create-session').map((p) => p.role);
        expect(atLoad).not.toContain('tiny_encoder');
        const text = unwrap(await ep.page.evaluate((r) => window.hgEngine.generate({ ...r, steps: 1 }), base));
        expect(text.timings.encoderMs).toBeUndefined();
        expect((await ep.page.evaluate(() => window.hgEngine.progress())).some((p) => p.stage === 'create-session')).toBe(false);

        const picture = testPicture(SIZE, SIZE);
        const image = await img2img(ep, { ...base, steps: 2 }, picture, 0.5);
        const progress = await ep.page.evaluate(() => window.hgEngine.progress());
        expect(progress.filter((p) => p.stage === 'create-session').map((p) => p.role)).toEqual(['tiny_encoder']);
        expect(progress.filter((p) => p.stage === 'unet').length).toBe(1);
        expect(image.strength).toBe(0.5);
        expect(image.timings.unetStepMs.length).toBe(1);
        expect(image.timings.encoderMs).toBeGreaterThan(0);
        const reference = await referenceImg2Img({ modelDir, ...base, steps: 2, strength: 0.5, size: SIZE, picture });
        const diff = pixelDifference(rgba(image.rgbaBase64), reference);
        expect(diff.max).toBeLessThanOrEqual(CROSS_BACKEND.max);
        expect(diff.mean).toBeLessThanOrEqual(CROSS_BACKEND.mean);
        // Another picture, same seed and prompt: another image (the init image reaches the pixels).
        const other = await img2img(ep, { ...base, steps: 2 }, testPicture(SIZE, SIZE, 1), 0.5);
        expect(pixelDifference(rgba(other.rgbaBase64), rgba(image.rgbaBase64)).mean).toBeGreaterThan(2);
        expect((await ep.page.evaluate(() => window.hgEngine.progress())).some((p) => p.stage === 'create-session')).toBe(false);
      },
      timeout,
    );

    it(
      'runs ceil(steps x strength) UNet steps and matches the reference at each strength',
      async () => {
        const picture = testPicture(SIZE, SIZE);
        for (const [steps, strength, unetSteps] of [
          [4, 0.3, 2],
          [4, 1, 4],
        ] as const) {
          const image = await img2img(ep, { ...base, steps }, picture, strength);
          expect(image.timings.unetStepMs.length).toBe(unetSteps);
          const reference = await referenceImg2Img({ modelDir, ...base, steps, strength, size: SIZE, picture });
          expect(pixelDifference(rgba(image.rgbaBase64), reference).max).toBeLessThanOrEqual(CROSS_BACKEND.max);
        }
        const bad = await ep.page.evaluate(() =>
          window.hgEngine.generate({ prompt: 'x', init: { rgba: new Uint8ClampedArray(4), width: 1, height: 1, strength: 0 } }),
        );
        expect(bad.ok ? null : bad.error.name).toBe('InvalidRequestError');
        // Unload releases the encoder with the four model sessions.
        expect(unwrap(await ep.page.evaluate(() => window.hgEngine.unload())).releasedSessions).toBe(5);
      },
      timeout,
    );
  });
}
