/**
 * Both transforms on the real test model (test-tiny-sd) and on a synthetic
 * fp16 chain, written to disk by the Node adapters and run in
 * onnxruntime-node against the originals.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GeneratedTestModel, GRAPH_ROLES, generateTestModels } from '@hybridgen/testmodels';
import { type FloatTensor, maxAbsDiff, ReferenceRunner, rms } from '@hybridgen/testmodels/reference';
import { convertToFloat32, quantizeWeightsInt8, scanModelFile } from '@hybridgen/variants';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFolder, FileBlob } from './node-files.js';
import { writeSyntheticModel } from './synthetic.js';

/** PSNR in dB of two images with values in [-1, 1] (peak-to-peak 2). */
function psnr(a: FloatTensor, b: FloatTensor): number {
  let se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.max(-1, Math.min(1, a.data[i] as number)) - Math.max(-1, Math.min(1, b.data[i] as number));
    se += d * d;
  }
  return 10 * Math.log10(4 / (se / a.data.length));
}

function inputs() {
  const inputIds = new Int32Array(77);
  inputIds.set([1, 17, 42, 99, 5, 2]);
  const sample = { data: Float32Array.from({ length: 4 * 8 * 8 }, (_, i) => Math.sin(i * 1.7) * 0.9), dims: [1, 4, 8, 8] };
  return { inputIds, sample, timestep: 999 };
}

describe('transforms on test-tiny-sd', () => {
  let dir: string;
  let model: GeneratedTestModel;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'variants-tiny-'));
    model = generateTestModels({ outDir: join(dir, 'src') });
    for (const role of GRAPH_ROLES) {
      const fp16 = new FileBlob(model.graphs.fp16[role]);
      const fp32 = new FileBlob(model.graphs.fp32[role]);
      // Converted: small data files, to exercise chunking on real graphs.
      await convertToFloat32(fp16, new DiskFolder(join(dir, 'converted', 'fp32', role)), { maxExternalFileBytes: 64 * 1024 });
      await quantizeWeightsInt8(fp32, new DiskFolder(join(dir, 'int8', 'fp32', role)), { quantize: { minElements: 512 } });
      await quantizeWeightsInt8(fp16, new DiskFolder(join(dir, 'int8-from-fp16', 'fp32', role)), { quantize: { minElements: 512 } });
      fp16.close();
      fp32.close();
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the converted fp16 model has no float16 left, uses several external data files, and matches the fp16 model', async () => {
    const unetDir = join(dir, 'converted', 'fp32', 'unet');
    expect(readdirSync(unetDir).filter((f) => f.includes('.data.')).length).toBeGreaterThan(1);
    expect(readdirSync(unetDir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    const facts = await scanModelFile(new FileBlob(join(unetDir, 'model.onnx')));
    expect(facts.usesFloat16).toBe(false);
    expect(Object.keys(facts.bytesByType)).not.toContain('float16');

    const original = await ReferenceRunner.create({ modelDir: model.modelDir, precision: 'fp16' });
    const converted = await ReferenceRunner.create({ modelDir: join(dir, 'converted'), precision: 'fp32' });
    const fp32 = await ReferenceRunner.create({ modelDir: model.modelDir, precision: 'fp32' });
    try {
      const a = await original.runAll(inputs());
      const b = await converted.runAll(inputs());
      const c = await fp32.runAll(inputs());
      for (const key of ['lastHiddenState', 'outSample', 'image'] as const) {
        // fp16 arithmetic vs the same weights in fp32: within 2 % of the output's RMS
        expect(maxAbsDiff(a[key].data, b[key].data) / rms(b[key].data), key).toBeLessThan(0.02);
        // fp16-rounded weights vs the fp32 originals: closer still
        expect(maxAbsDiff(b[key].data, c[key].data) / rms(c[key].data), key).toBeLessThan(0.02);
      }
      expect(psnr(b.image, a.image)).toBeGreaterThan(40);
    } finally {
      await Promise.all([original.release(), converted.release(), fp32.release()]);
    }
  });

  it('the int8 variant is under a third of the fp32 weights and its image stays within 30 dB PSNR of fp32', async () => {
    let fp32Bytes = 0;
    let int8Bytes = 0;
    for (const role of GRAPH_ROLES) {
      fp32Bytes += (await scanModelFile(new FileBlob(model.graphs.fp32[role]))).initializerBytes;
      int8Bytes += (await scanModelFile(new FileBlob(join(dir, 'int8', 'fp32', role, 'model.onnx')))).initializerBytes;
    }
    expect(int8Bytes / fp32Bytes).toBeLessThan(0.34);
    const fp32 = await ReferenceRunner.create({ modelDir: model.modelDir, precision: 'fp32' });
    const int8 = await ReferenceRunner.create({ modelDir: join(dir, 'int8'), precision: 'fp32' });
    const int8FromFp16 = await ReferenceRunner.create({ modelDir: join(dir, 'int8-from-fp16'), precision: 'fp32' });
    try {
      const ref = await fp32.runAll(inputs());
      const q = await int8.runAll(inputs());
      const q16 = await int8FromFp16.runAll(inputs());
      const p = psnr(q.image, ref.image);
      console.log(`test-tiny-sd int8 vs fp32 (ORT CPU): weights ${int8Bytes} / ${fp32Bytes} bytes, image PSNR ${p.toFixed(1)} dB`);
      expect(p).toBeGreaterThan(30);
      expect(p).toBeLessThan(200); // it did change
      expect(psnr(q16.image, ref.image)).toBeGreaterThan(30);
    } finally {
      await Promise.all([fp32.release(), int8.release(), int8FromFp16.release()]);
    }
  });
});

describe('transforms on a synthetic fp16 MatMul chain', () => {
  it('written, converted and quantized through files; outputs agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'variants-synth-'));
    try {
      const synth = await writeSyntheticModel(join(dir, 'in.onnx'), 6 * 128 * 128 * 2, 128);
      expect(synth.layers).toBe(6);
      mkdirSync(join(dir, 'c'));
      await convertToFloat32(new FileBlob(synth.path), new DiskFolder(join(dir, 'c')), { maxExternalFileBytes: 200_000 });
      await quantizeWeightsInt8(new FileBlob(synth.path), new DiskFolder(join(dir, 'q')));
      const x = new ort.Tensor(
        'float32',
        Float32Array.from({ length: 128 }, (_, i) => Math.cos(i)),
        [1, 128],
      );
      const run = async (path: string) => {
        const s = await ort.InferenceSession.create(path);
        const y = (await s.run({ x })).y?.data as Float32Array;
        await s.release();
        return y;
      };
      const [a, b, c] = [await run(synth.path), await run(join(dir, 'c', 'model.onnx')), await run(join(dir, 'q', 'model.onnx'))];
      expect(maxAbsDiff(a, b) / rms(b)).toBeLessThan(0.02);
      expect(maxAbsDiff(c, b) / rms(b)).toBeLessThan(0.1);
      expect(readdirSync(join(dir, 'c')).filter((f) => f.includes('.data.')).length).toBe(2); // 6 x 64 KiB, three per 200 kB file
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
