import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_IO, GRAPH_ROLES, PRECISIONS, type Precision, TEXT_HIDDEN_SIZE } from './contract.js';
import { type GeneratedTestModel, generateTestModels } from './generate.js';
import { type FloatTensor, maxAbsDiff, ReferenceRunner, rms } from './reference.js';
import { gaussianLatents, loadTokenizer } from './test-inputs.js';

/** fp16 weights and arithmetic vs fp32: max |diff| <= FP16_TOLERANCE * rms(fp32 output), per graph. */
const FP16_TOLERANCE = 0.02;

/** Relative change of an output, for "depends on this input" checks. */
function relChange(a: FloatTensor, b: FloatTensor): number {
  return maxAbsDiff(a.data, b.data) / rms(a.data);
}

function allFinite(t: FloatTensor): boolean {
  return t.data.every((v) => Number.isFinite(v));
}

describe('the generated graphs in onnxruntime-node', () => {
  let dir: string;
  let model: GeneratedTestModel;
  const runners = {} as Record<Precision, ReferenceRunner>;
  let ids: Int32Array;
  const sample = gaussianLatents(1, { height: 8, width: 8 });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'testmodels-'));
    model = generateTestModels({ outDir: dir });
    for (const precision of PRECISIONS) runners[precision] = await ReferenceRunner.create({ modelDir: model.modelDir, precision });
    ids = loadTokenizer(model.tokenizerDir).encode('a photo of a cat').ids;
  });
  afterAll(async () => {
    for (const runner of Object.values(runners)) await runner.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has the contract names, dtypes and symbolic shapes in both variants', () => {
    for (const precision of PRECISIONS) {
      for (const role of GRAPH_ROLES) {
        const session = runners[precision].session(role);
        const meta = (list: typeof session.inputMetadata) =>
          list.map((m) => ({ name: m.name, type: m.isTensor ? m.type : null, shape: m.isTensor ? [...m.shape] : null }));
        expect(meta(session.inputMetadata), `${precision} ${role}`).toEqual(GRAPH_IO[role].inputs.map((s) => ({ ...s, shape: [...s.shape] })));
        // ORT's shape inference resolves output dims the weights fix (out_sample's num_channels is 4, the
        // VAE's 3), as it does on the real files; the declared names are checked in generate.test.ts.
        const outputs = meta(session.outputMetadata);
        expect(
          outputs.map(({ name, type }) => ({ name, type })),
          `${precision} ${role}`,
        ).toEqual(GRAPH_IO[role].outputs.map(({ name, type }) => ({ name, type })));
        GRAPH_IO[role].outputs.forEach((spec, i) => {
          const shape = outputs[i]?.shape ?? [];
          expect(shape).toHaveLength(spec.shape.length);
          spec.shape.forEach((dim, axis) => {
            if (shape[axis] !== dim) expect(typeof dim === 'string' && typeof shape[axis] === 'number', `${role} ${spec.name}[${axis}]`).toBe(true);
          });
        });
      }
    }
  });

  it('runs the three graphs: finite outputs of the contract shapes, an image in about [-1, 1] with structure', async () => {
    const out = await runners.fp32.runAll({ inputIds: ids, sample, timestep: 999 });
    expect(out.lastHiddenState.dims).toEqual([1, 77, TEXT_HIDDEN_SIZE]);
    expect(out.outSample.dims).toEqual([1, 4, 8, 8]);
    expect(out.image.dims).toEqual([1, 3, 64, 64]);
    for (const t of Object.values(out)) expect(allFinite(t)).toBe(true);
    const image = (await runners.fp32.vaeDecoder({ data: sample.data.map((v) => v / 0.18215), dims: sample.dims })).data;
    const inRange = image.filter((v) => Math.abs(v) <= 1).length / image.length;
    expect(inRange).toBeGreaterThan(0.85);
    expect(rms(image)).toBeGreaterThan(0.2);
    // Neighbouring pixels differ: not a constant or a flat colour.
    expect(maxAbsDiff(image.subarray(0, 64), image.subarray(64, 128))).toBeGreaterThan(0.05);
  });

  it('text encoder: output depends on the tokens, causally', async () => {
    const base = await runners.fp32.textEncoder(ids);
    const changed = ids.slice();
    changed[3] = (changed[3] ?? 0) + 1; // 'of' -> another token at position 3
    const other = await runners.fp32.textEncoder(changed);
    const row = (t: FloatTensor, i: number) => t.data.subarray(i * TEXT_HIDDEN_SIZE, (i + 1) * TEXT_HIDDEN_SIZE);
    for (let i = 0; i < 3; i++) expect(maxAbsDiff(row(base, i), row(other, i))).toBe(0);
    for (const i of [3, 4, 10, 76]) expect(maxAbsDiff(row(base, i), row(other, i))).toBeGreaterThan(1e-3);
  });

  it('text encoder: pooler_output is the hidden state at the highest id (end of text), and sequence_length is free', async () => {
    const session = runners.fp32.session('text_encoder');
    const out = await session.run({ input_ids: new ort.Tensor('int32', ids, [1, 77]) });
    const hidden = out.last_hidden_state?.data as Float32Array;
    const pooled = out.pooler_output;
    expect(pooled?.dims).toEqual([1, TEXT_HIDDEN_SIZE]);
    const eos = ids.indexOf(Math.max(...ids));
    expect(eos).toBeGreaterThan(0);
    expect(Array.from(pooled?.data as Float32Array)).toEqual(Array.from(hidden.subarray(eos * TEXT_HIDDEN_SIZE, (eos + 1) * TEXT_HIDDEN_SIZE)));
    // Causal attention: a prompt cut to its first 16 tokens gives the first 16 rows of the full run.
    const short = await session.run({ input_ids: new ort.Tensor('int32', ids.slice(0, 16), [1, 16]) });
    expect(short.last_hidden_state?.dims).toEqual([1, 16, TEXT_HIDDEN_SIZE]);
    expect(maxAbsDiff(short.last_hidden_state?.data as Float32Array, hidden.subarray(0, 16 * TEXT_HIDDEN_SIZE))).toBeLessThan(1e-5);
  });

  it('UNet: output depends on sample, timestep and encoder_hidden_states', async () => {
    const ehs = await runners.fp32.textEncoder(ids);
    const otherEhs = await runners.fp32.textEncoder(loadTokenizer(model.tokenizerDir).encode('a red dog in the snow').ids);
    const base = await runners.fp32.unet(sample, 999, ehs);
    expect(relChange(base, await runners.fp32.unet(gaussianLatents(2, { height: 8, width: 8 }), 999, ehs))).toBeGreaterThan(0.1);
    expect(relChange(base, await runners.fp32.unet(sample, 499, ehs))).toBeGreaterThan(0.01);
    expect(relChange(base, await runners.fp32.unet(sample, 998, ehs))).toBeGreaterThan(1e-4);
    expect(relChange(base, await runners.fp32.unet(sample, 999, otherEhs))).toBeGreaterThan(0.01);
  });

  it('VAE decoder: output depends on the latents', async () => {
    const a = await runners.fp32.vaeDecoder(sample);
    const b = await runners.fp32.vaeDecoder(gaussianLatents(3, { height: 8, width: 8 }));
    expect(relChange(a, b)).toBeGreaterThan(0.1);
  });

  it('honours symbolic batch/height/width: a batch of 2 equals two single runs', async () => {
    const ehs = await runners.fp32.textEncoder(ids);
    const pair = gaussianLatents(4, { batch: 2, height: 6, width: 10 });
    const ehs2 = { data: new Float32Array([...ehs.data, ...ehs.data]), dims: [2, 77, TEXT_HIDDEN_SIZE] };
    const both = await runners.fp32.unet(pair, 999, ehs2);
    expect(both.dims).toEqual([2, 4, 6, 10]);
    const half = pair.data.length / 2;
    const second = await runners.fp32.unet({ data: pair.data.slice(half), dims: [1, 4, 6, 10] }, 999, ehs);
    expect(maxAbsDiff(both.data.subarray(half), second.data)).toBeLessThan(1e-4);
    const images = await runners.fp32.vaeDecoder(pair);
    expect(images.dims).toEqual([2, 3, 48, 80]);
  });

  it(`fp16 and fp32 variants agree within ${FP16_TOLERANCE} x rms per graph`, async () => {
    const f32 = await runners.fp32.runAll({ inputIds: ids, sample, timestep: 999 });
    // Feed both variants the fp32 intermediate tensors, so each graph is compared on its own.
    const f16Text = await runners.fp16.textEncoder(ids);
    const f16Unet = await runners.fp16.unet(sample, 999, f32.lastHiddenState);
    const f16Image = await runners.fp16.vaeDecoder(f32.outSample);
    const errors = {
      text_encoder: maxAbsDiff(f32.lastHiddenState.data, f16Text.data) / rms(f32.lastHiddenState.data),
      unet: maxAbsDiff(f32.outSample.data, f16Unet.data) / rms(f32.outSample.data),
      vae_decoder: maxAbsDiff(f32.image.data, f16Image.data) / rms(f32.image.data),
    };
    for (const [role, error] of Object.entries(errors)) {
      expect(error, role).toBeLessThan(FP16_TOLERANCE);
      expect(error, `${role}: fp16 must not be bit-identical to fp32`).toBeGreaterThan(0);
    }
  });
});
