import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeneratedTestModel, generateTestModels } from './generate.js';
import { TINY_DECODER_WIDTH } from './graphs/tiny-decoder.js';
import { type FloatTensor, maxAbsDiff, ReferenceRunner, rms } from './reference.js';
import { gaussianLatents, loadTokenizer } from './test-inputs.js';

const { onnx } = onnxProto;

function dims(info: onnxProto.onnx.IValueInfoProto | undefined): (number | string)[] {
  return (info?.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue)));
}

function range(t: FloatTensor): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of t.data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { min, max };
}

// The generated tiny decoder has the contract and the layer list of the ONNX
// that `hybridgen models pull` converts from TAESD's weights (internal/taesd).
describe('the generated tiny decoder', () => {
  let dir: string;
  let model: GeneratedTestModel;
  let runner: ReferenceRunner;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'testmodels-'));
    model = generateTestModels({ outDir: dir });
    runner = await ReferenceRunner.create({ modelDir: model.modelDir });
  });
  afterAll(async () => {
    await runner.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it("declares the converter's I/O, ops and TAESD's weight names, in fp32", () => {
    const m = onnx.ModelProto.decode(readFileSync(model.tinyDecoder));
    expect(m.opsetImport.map((o) => [o.domain ?? '', Number(o.version)])).toEqual([['', 17]]);
    const graph = m.graph;
    expect(graph?.input?.map((i) => [i.name, i.type?.tensorType?.elemType, dims(i)])).toEqual([
      ['latent_sample', onnx.TensorProto.DataType.FLOAT, [1, 4, 'height_latent', 'width_latent']],
    ]);
    expect(graph?.output?.map((o) => [o.name, o.type?.tensorType?.elemType, dims(o)])).toEqual([
      ['sample', onnx.TensorProto.DataType.FLOAT, [1, 3, 'height', 'width']],
    ]);
    expect([...new Set(graph?.node?.map((n) => n.opType))].sort()).toEqual(['Add', 'Clip', 'Conv', 'Mul', 'Relu', 'Resize', 'Tanh']);
    expect(graph?.node?.filter((n) => n.opType === 'Resize').length).toBe(3);
    expect(graph?.node?.filter((n) => n.opType === 'Conv').length).toBe(1 + 10 * 3 + 3 + 1);
    const names = new Set(graph?.initializer?.map((t) => t.name));
    for (const name of ['1.weight', '1.bias', '3.conv.0.weight', '18.conv.4.bias', '7.weight', '17.weight', '19.weight', '19.bias'])
      expect(names.has(name), name).toBe(true);
    expect(names.has('7.bias')).toBe(false);
    expect(graph?.initializer?.every((t) => t.dataType === onnx.TensorProto.DataType.FLOAT)).toBe(true);
    expect(model.parameters.tiny_decoder).toBe(
      TINY_DECODER_WIDTH * (4 * 9 + 1) +
        10 * 3 * (TINY_DECODER_WIDTH * TINY_DECODER_WIDTH * 9 + TINY_DECODER_WIDTH) +
        3 * TINY_DECODER_WIDTH * TINY_DECODER_WIDTH * 9 +
        3 * (TINY_DECODER_WIDTH * 9 + 1),
    );
  });

  it("decodes the UNet's unscaled x0 into an 8x image in [0, 1]", async () => {
    const { ids } = loadTokenizer(model.tokenizerDir).encode('a photo of a cat');
    const { outSample } = await runner.runAll({ inputIds: ids, sample: gaussianLatents(1, { height: 8, width: 8 }), timestep: 999 });
    const image = await runner.tinyDecoder(outSample);
    expect(image.dims).toEqual([1, 3, 64, 64]);
    const { min, max } = range(image);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    // Not a constant: the latent reaches the pixels.
    const mean = image.data.reduce((a, b) => a + b, 0) / image.data.length;
    expect(rms(image.data.map((v) => v - mean))).toBeGreaterThan(0.02);
    const again = await runner.tinyDecoder(outSample);
    expect(maxAbsDiff(again.data, image.data)).toBe(0);
    const other = await runner.tinyDecoder(gaussianLatents(7, { height: 8, width: 8 }));
    expect(maxAbsDiff(other.data, image.data)).toBeGreaterThan(0.05);
  });

  it('takes any latent size (height and width stay apart)', async () => {
    const image = await runner.tinyDecoder(gaussianLatents(1, { height: 4, width: 6 }));
    expect(image.dims).toEqual([1, 3, 32, 48]);
  });
});
