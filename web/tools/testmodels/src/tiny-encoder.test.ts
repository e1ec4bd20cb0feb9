import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GeneratedTestModel, generateTestModels } from './generate.js';
import { Rng } from './prng.js';
import { type FloatTensor, maxAbsDiff, ReferenceRunner, rms } from './reference.js';

const { onnx } = onnxProto;

function image(seed: number, height: number, width: number): FloatTensor {
  const rng = new Rng(seed);
  return { data: Float32Array.from({ length: 3 * height * width }, () => rng.uniform()), dims: [1, 3, height, width] };
}

// The generated tiny encoder has the contract and the layer list of the ONNX
// that `hybridgen models pull` converts from TAESD's encoder (internal/taesd).
describe('the generated tiny encoder', () => {
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

  it("declares the converter's I/O, ops and TAESD's weight names, listed in every variant", () => {
    const m = onnx.ModelProto.decode(readFileSync(model.tinyEncoder));
    const graph = m.graph;
    expect(graph?.input?.map((i) => i.name)).toEqual(['sample']);
    expect(graph?.output?.map((o) => o.name)).toEqual(['latent_sample']);
    expect([...new Set(graph?.node?.map((n) => n.opType))].sort()).toEqual(['Add', 'Conv', 'Identity', 'Relu']);
    const strided = graph?.node?.filter((n) => n.opType === 'Conv' && n.attribute?.find((a) => a.name === 'strides')?.ints?.map(Number)[0] === 2);
    expect(strided?.map((n) => n.input?.[1])).toEqual(['2.weight', '6.weight', '10.weight']);
    const names = new Set(graph?.initializer?.map((t) => t.name));
    for (const name of ['0.weight', '0.bias', '1.conv.0.weight', '13.conv.4.bias', '14.weight', '14.bias']) expect(names.has(name), name).toBe(true);
    expect(names.has('2.bias')).toBe(false);
    for (const variant of Object.values(model.manifest.variants))
      expect(variant.files.filter((f) => f.role === 'tiny_encoder').map((f) => f.path)).toEqual(['tiny_encoder/model.onnx']);
  });

  it('encodes an image into latents an eighth of its size, of about unit scale, that depend on the image', async () => {
    const a = await runner.tinyEncoder(image(1, 64, 48));
    expect(a.dims).toEqual([1, 4, 8, 6]);
    expect(rms(a.data)).toBeGreaterThan(0.2);
    expect(rms(a.data)).toBeLessThan(5);
    const b = await runner.tinyEncoder(image(2, 64, 48));
    expect(maxAbsDiff(a.data, b.data)).toBeGreaterThan(0.05);
  });
});
