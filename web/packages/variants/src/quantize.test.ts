import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from './errors.js';
import { MemoryFolder } from './output.js';
import { attr, blobOf, decode, f16, f32, type GraphProto, modelBytes, ort, runOnDisk, T, valueInfo, wave } from './testing/crafted-graphs.js';
import { quantizeWeightsInt8 } from './transform.js';

const K = 64;
const M = 128;

function matmulGraph(opset = 17): Uint8Array {
  return modelBytes(
    {
      name: 'mm',
      node: [
        { opType: 'MatMul', input: ['x', 'W'], output: ['h'] },
        // W is also read by an Add: it gets the dequantized weight too.
        { opType: 'Gemm', input: ['h', 'G', 'bias'], output: ['y'], attribute: [attr('transB', 1)] },
        { opType: 'Add', input: ['x', 'small'], output: ['z'] },
      ],
      initializer: [f32('W', [K, M], wave(K * M, 1)), f32('G', [K, M], wave(K * M, 2)), f32('bias', [K], wave(K, 3)), f32('small', [K], wave(K, 4))],
      input: [valueInfo('x', T.FLOAT, [2, K])],
      output: [valueInfo('y', T.FLOAT, [2, K]), valueInfo('z', T.FLOAT, [2, K])],
    },
    opset,
  );
}

function convGraph(): Uint8Array {
  return modelBytes({
    name: 'conv',
    node: [
      { opType: 'Cast', input: ['x'], output: ['x16'], attribute: [attr('to', T.FLOAT16)] },
      { opType: 'Conv', input: ['x16', 'W', 'B'], output: ['c'], attribute: [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }] },
      { opType: 'Cast', input: ['c'], output: ['y'], attribute: [attr('to', T.FLOAT)] },
    ],
    initializer: [f16('W', [32, 16, 3, 3], wave(32 * 16 * 9, 7)), f16('B', [32], wave(32, 8))],
    input: [valueInfo('x', T.FLOAT, [1, 16, 6, 6])],
    output: [valueInfo('y', T.FLOAT, [1, 32, 6, 6])],
  });
}

function relError(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / den);
}

describe('quantizeWeightsInt8', () => {
  it('turns MatMul and Gemm weights into int8 + per-row/channel scales behind DequantizeLinear, within 1 % of float', async () => {
    const folder = new MemoryFolder();
    const result = await quantizeWeightsInt8(blobOf(matmulGraph()), folder, { externalDataThresholdBytes: 1024, quantize: { minElements: 1024 } });
    expect(result.counts.quantizedWeights).toBe(2);
    const g = decode(folder.files.get('model.onnx') as Uint8Array).graph as GraphProto;
    const dq = g.node.filter((n) => n.opType === 'DequantizeLinear');
    expect(dq.map((n) => [n.input, n.output, Number(n.attribute?.[0]?.i)])).toEqual([
      [['W_quantized', 'W_scale'], ['W'], 0], // MatMul B [K, N]: one scale per row by default (fast in ORT)
      [['G_quantized', 'G_scale'], ['G'], 0], // Gemm transB=1: B is [N, K], channels on axis 0
    ]);
    expect(g.node.indexOf(dq[1] as (typeof g.node)[number])).toBeLessThan(g.node.findIndex((n) => n.opType === 'MatMul'));
    const w = g.initializer.find((t) => t.name === 'W_quantized');
    expect(w?.dataType).toBe(T.INT8);
    expect(w?.dims?.map(Number)).toEqual([K, M]);
    expect(g.initializer.find((t) => t.name === 'W_scale')?.dims?.map(Number)).toEqual([K]);
    expect(g.initializer.find((t) => t.name === 'G_scale')?.dims?.map(Number)).toEqual([K]);
    expect(g.initializer.map((t) => t.name)).not.toContain('W');
    expect(g.initializer.find((t) => t.name === 'small')?.dataType).toBe(T.FLOAT); // under minElements
    // int8 weights: a quarter of the float bytes, in external data
    expect(folder.files.get('model.onnx.data.0')?.byteLength).toBeLessThan(2 * K * M + 128);

    const feeds = { x: new ort.Tensor('float32', wave(2 * K, 9), [2, K]) };
    const quantized = await runOnDisk(folder.files, 'model.onnx', feeds, 'y');
    const reference = await runOnDisk({ 'model.onnx': matmulGraph() }, 'model.onnx', feeds, 'y');
    const error = relError(quantized, reference);
    expect(error).toBeGreaterThan(0); // it did quantize
    expect(error).toBeLessThan(0.01);
  });

  it('can put MatMul scales on output columns instead (matmulAxis 1)', async () => {
    const folder = new MemoryFolder();
    await quantizeWeightsInt8(blobOf(matmulGraph()), folder, { quantize: { minElements: 1024, matmulAxis: 1 } });
    const g = decode(folder.files.get('model.onnx') as Uint8Array).graph as GraphProto;
    expect(Number(g.node.find((n) => n.output?.[0] === 'W')?.attribute?.[0]?.i)).toBe(1);
    expect(g.initializer.find((t) => t.name === 'W_scale')?.dims?.map(Number)).toEqual([M]);
    const feeds = { x: new ort.Tensor('float32', wave(2 * K, 9), [2, K]) };
    const quantized = await runOnDisk(folder.files, 'model.onnx', feeds, 'y');
    const reference = await runOnDisk({ 'model.onnx': matmulGraph() }, 'model.onnx', feeds, 'y');
    expect(relError(quantized, reference)).toBeLessThan(0.01);
  });

  it('quantizes fp16 Conv weights per output channel and widens the rest', async () => {
    const folder = new MemoryFolder();
    const result = await quantizeWeightsInt8(blobOf(convGraph()), folder, { quantize: { minElements: 1024 } });
    expect(result.counts.quantizedWeights).toBe(1);
    expect(result.counts.castsRemoved).toBe(1); // x (float) -> float16 became an identity
    const g = decode(folder.files.get('model.onnx') as Uint8Array).graph as GraphProto;
    expect(g.initializer.find((t) => t.name === 'B')?.dataType).toBe(T.FLOAT);
    expect(Number(g.node.find((n) => n.opType === 'DequantizeLinear')?.attribute?.[0]?.i)).toBe(0);
    const feeds = { x: new ort.Tensor('float32', wave(16 * 36, 10), [1, 16, 6, 6]) };
    const quantized = await runOnDisk(folder.files, 'model.onnx', feeds, 'y');
    const reference = await runOnDisk({ 'model.onnx': convGraph() }, 'model.onnx', feeds, 'y');
    expect(relError(quantized, reference)).toBeLessThan(0.01);
  });

  it('refuses models below opset 13 (no per-axis DequantizeLinear)', async () => {
    await expect(quantizeWeightsInt8(blobOf(matmulGraph(12)), new MemoryFolder(), { quantize: { minElements: 1024 } })).rejects.toThrow(UnsupportedModelError);
  });

  it('leaves weights under minElements alone', async () => {
    const result = await quantizeWeightsInt8(blobOf(matmulGraph()), new MemoryFolder(), { quantize: { minElements: K * M + 1 } });
    expect(result.counts.quantizedWeights).toBe(0);
  });
});
