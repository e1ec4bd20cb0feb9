import { MalformedModelError } from '@hybridgen/core';
import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from './errors.js';
import { MemoryFolder } from './output.js';
import {
  attr,
  blobOf,
  decode,
  f16,
  f32,
  type GraphProto,
  type IGraphProto,
  type ModelProto,
  modelBytes,
  onnx,
  ort,
  runOnDisk,
  T,
  valueInfo,
  wave,
} from './testing/crafted-graphs.js';
import { convertToFloat32 } from './transform.js';

const N = 4096; // 8 KiB of float16, 16 KiB widened

/**
 * x (f32) -> Cast(to f16) -> Add(W f16 initializer) -> Mul(Constant f16) -> Cast(to f32) -> y,
 * plus a fp16 value_info and a second large initializer to force several external files.
 */
function castGraph(): Uint8Array {
  const w = wave(N, 1);
  const w2 = wave(N, 2);
  return modelBytes({
    name: 'cast-graph',
    node: [
      { opType: 'Cast', input: ['x'], output: ['x16'], attribute: [attr('to', T.FLOAT16)] },
      { opType: 'Add', input: ['x16', 'W'], output: ['a'] },
      { opType: 'Constant', input: [], output: ['c'], attribute: [attr('value', f16('c_value', [1], [0.5]))] },
      // A constant whose float16 values are stored in int32_data (as some exporters write them).
      { opType: 'Constant', input: [], output: ['d'], attribute: [attr('value', { name: 'd_value', dims: [1], dataType: T.FLOAT16, int32Data: [0x3c00] })] },
      { opType: 'Mul', input: ['a', 'c'], output: ['m'] },
      { opType: 'Add', input: ['m', 'W2'], output: ['m2'] },
      { opType: 'Mul', input: ['m2', 'd'], output: ['m3'] },
      { opType: 'Cast', input: ['m3'], output: ['y'], attribute: [attr('to', T.FLOAT)] },
    ],
    initializer: [f16('W', [N], w), f16('W2', [N], w2), f16('tiny', [2], [1, 2])],
    input: [valueInfo('x', T.FLOAT, [N])],
    output: [valueInfo('y', T.FLOAT, [N])],
    valueInfo: [valueInfo('a', T.FLOAT16, [N]), valueInfo('x16', T.FLOAT16, [N])],
  });
}

function allTypes(model: ModelProto): (number | null | undefined)[] {
  const g = model.graph as GraphProto;
  const infos = [...g.input, ...g.output, ...g.valueInfo];
  return [
    ...infos.map((v) => v.type?.tensorType?.elemType ?? -1),
    ...g.initializer.map((t) => t.dataType),
    ...g.node.flatMap((n) => (n.attribute ?? []).map((a) => (a.t ? (a.t.dataType ?? -1) : a.name === 'to' ? Number(a.i) : -1))),
  ];
}

/**
 * torch 2's opset < 17 export of LayerNorm on float16 input (the SD text encoder's): the statistics in
 * float64 between `Cast(to DOUBLE)` and `Cast(to FLOAT16)`, eps a double Constant (double_data), 2.0 and a
 * large shift double initializers (raw_data; the shift is streamed). onnxruntime-web's WebGPU session
 * places no float64 node ("Provider type for Cast node ... is not set").
 */
function float64LayerNormGraph(): Uint8Array {
  const f64 = (name: string, values: ArrayLike<number>) => ({
    name,
    dims: [values.length],
    dataType: T.DOUBLE,
    rawData: new Uint8Array(Float64Array.from(values).buffer),
  });
  return modelBytes({
    name: 'float64-layer-norm',
    node: [
      { opType: 'Cast', input: ['x'], output: ['x16'], attribute: [attr('to', T.FLOAT16)] },
      { opType: 'ReduceMean', input: ['x16'], output: ['mean'], attribute: [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [-1] }] },
      { opType: 'Sub', input: ['x16', 'mean'], output: ['num'] },
      { opType: 'Cast', input: ['num'], output: ['num64'], attribute: [attr('to', T.DOUBLE)] },
      { opType: 'Pow', input: ['num64', 'two'], output: ['sq'] },
      { opType: 'ReduceMean', input: ['sq'], output: ['var'], attribute: [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [-1] }] },
      { opType: 'Constant', output: ['eps'], attribute: [attr('value', { name: 'eps_value', dims: [], dataType: T.DOUBLE, doubleData: [1e-5] })] },
      { opType: 'Add', input: ['var', 'eps'], output: ['ve'] },
      { opType: 'Sqrt', input: ['ve'], output: ['den'] },
      { opType: 'Div', input: ['num64', 'den'], output: ['n64'] },
      { opType: 'Add', input: ['n64', 'shift'], output: ['s64'] },
      { opType: 'Cast', input: ['s64'], output: ['n16'], attribute: [attr('to', T.FLOAT16)] },
      { opType: 'Mul', input: ['n16', 'W'], output: ['m'] },
      { opType: 'Cast', input: ['m'], output: ['y'], attribute: [attr('to', T.FLOAT)] },
    ],
    initializer: [{ ...f64('two', [2]), dims: [] }, f64('shift', wave(N, 4)), f16('W', [N], wave(N, 1))],
    input: [valueInfo('x', T.FLOAT, [1, N])],
    output: [valueInfo('y', T.FLOAT, [1, N])],
    valueInfo: [valueInfo('num64', T.DOUBLE, [1, N]), valueInfo('sq', T.DOUBLE, [1, N])],
  });
}

describe('convertToFloat32', () => {
  it('widens initializers, Cast targets, Constant tensors and value types; big weights go to chunked external data', async () => {
    const folder = new MemoryFolder();
    const result = await convertToFloat32(blobOf(castGraph()), folder, { externalDataThresholdBytes: 1024, maxExternalFileBytes: 20_000, chunkBytes: 1024 });
    // two 16 KiB tensors, 20 000 bytes per file: one file each
    expect(result.files.map((f) => f.name)).toEqual(['model.onnx.data.0', 'model.onnx.data.1', 'model.onnx']);
    expect([...folder.files.keys()].sort()).toEqual(['model.onnx', 'model.onnx.data.0', 'model.onnx.data.1']);
    expect(folder.files.get('model.onnx.data.0')?.byteLength).toBe(N * 4);
    expect(result.files[0]?.bytes).toBe(N * 4);
    // The first Cast (float input -> float16) becomes an identity and goes; the last one makes the graph output and stays.
    expect(result.counts).toMatchObject({ castsRewritten: 0, castsRemoved: 1, attributeTensorsWidened: 2, typesRewritten: 1, initializersWidened: 3 });
    expect(result.largestInitializerBytes).toBe(N * 4);

    const model = decode(folder.files.get('model.onnx') as Uint8Array);
    expect(allTypes(model)).not.toContain(T.FLOAT16);
    const g = model.graph as GraphProto;
    const w = g.initializer.find((t) => t.name === 'W');
    expect(w?.dataLocation).toBe(onnx.TensorProto.DataLocation.EXTERNAL);
    expect(Object.fromEntries((w?.externalData ?? []).map((e) => [e.key, e.value]) ?? [])).toEqual({
      location: 'model.onnx.data.0',
      offset: '0',
      length: String(N * 4),
    });
    expect(g.initializer.find((t) => t.name === 'tiny')?.rawData?.byteLength).toBe(8);
    expect(g.node.filter((n) => n.opType === 'Cast').map((n) => Number(n.attribute?.[0]?.i))).toEqual([T.FLOAT]);
    expect(g.node.find((n) => n.opType === 'Add')?.input).toEqual(['x', 'W']); // rewired past the removed Cast
    expect(g.valueInfo.map((v) => v.name)).toEqual(['a']);

    // Same numbers as the fp16 model (whose arithmetic runs in float32 on ORT's CPU EP between fp16 roundings).
    const x = wave(N, 3);
    const feeds = { x: new ort.Tensor('float32', x, [N]) };
    const converted = await runOnDisk(folder.files, 'model.onnx', feeds, 'y');
    const original = await runOnDisk({ 'model.onnx': castGraph() }, 'model.onnx', feeds, 'y');
    let maxDiff = 0;
    for (let i = 0; i < N; i++) maxDiff = Math.max(maxDiff, Math.abs((converted[i] as number) - (original[i] as number)));
    expect(maxDiff).toBeLessThan(2e-3); // the fp16 model rounds its intermediates to 11 bits
    expect(converted[7]).toBeCloseTo((((x[7] as number) + (wave(N, 1)[7] as number)) * 0.5 + (wave(N, 2)[7] as number)) * 1, 2);
  });

  it("narrows float64 (torch's fp16 LayerNorm statistics) to float32: no float64 left, same numbers", async () => {
    const folder = new MemoryFolder();
    const result = await convertToFloat32(blobOf(float64LayerNormGraph()), folder, { externalDataThresholdBytes: 1024, chunkBytes: 1024 });
    expect(result.counts).toMatchObject({ initializersWidened: 3, attributeTensorsWidened: 1 });
    expect(folder.files.get('model.onnx.data.0')?.byteLength).toBe(2 * N * 4); // shift narrowed in chunks, W widened
    const model = decode(folder.files.get('model.onnx') as Uint8Array);
    expect(allTypes(model)).not.toContain(T.DOUBLE);
    expect(allTypes(model)).not.toContain(T.FLOAT16);
    const x = wave(N, 3);
    const feeds = { x: new ort.Tensor('float32', x, [1, N]) };
    const converted = await runOnDisk(folder.files, 'model.onnx', feeds, 'y');
    const original = await runOnDisk({ 'model.onnx': float64LayerNormGraph() }, 'model.onnx', feeds, 'y');
    let maxDiff = 0;
    for (let i = 0; i < N; i++) maxDiff = Math.max(maxDiff, Math.abs((converted[i] as number) - (original[i] as number)));
    expect(maxDiff).toBeLessThan(1e-2); // the fp16 model rounds x, the mean and the product to 11 bits
  });

  it('packs several tensors into one external file up to the limit, none straddling two', async () => {
    const folder = new MemoryFolder();
    const result = await convertToFloat32(blobOf(castGraph()), folder, { externalDataThresholdBytes: 1024, maxExternalFileBytes: 64 * 1024 });
    expect(result.files.map((f) => f.name)).toEqual(['model.onnx.data.0', 'model.onnx']);
    const g = decode(folder.files.get('model.onnx') as Uint8Array).graph as GraphProto;
    const offsets = g.initializer.filter((t) => t.externalData?.length).map((t) => t.externalData?.find((e) => e.key === 'offset')?.value);
    expect(offsets).toEqual(['0', String(N * 4)]);
  });

  it('keeps the Casts when asked, rewritten to float32', async () => {
    const folder = new MemoryFolder();
    const result = await convertToFloat32(blobOf(castGraph()), folder, { removeIdentityCasts: false });
    expect(result.counts).toMatchObject({ castsRewritten: 1, castsRemoved: 0, typesRewritten: 2 });
    const g = decode(folder.files.get('model.onnx') as Uint8Array).graph as GraphProto;
    expect(g.node.filter((n) => n.opType === 'Cast').map((n) => Number(n.attribute?.[0]?.i))).toEqual([T.FLOAT, T.FLOAT]);
    const x = wave(N, 3);
    const withCasts = await runOnDisk(folder.files, 'model.onnx', { x: new ort.Tensor('float32', x, [N]) }, 'y');
    const without = new MemoryFolder();
    await convertToFloat32(blobOf(castGraph()), without);
    expect(await runOnDisk(without.files, 'model.onnx', { x: new ort.Tensor('float32', x, [N]) }, 'y')).toEqual(withCasts);
  });

  it('keeps everything inline when asked, and leaves fp32 models unchanged in meaning', async () => {
    const folder = new MemoryFolder();
    await convertToFloat32(blobOf(castGraph()), folder, { externalDataThresholdBytes: Number.POSITIVE_INFINITY });
    expect([...folder.files.keys()]).toEqual(['model.onnx']);
    const again = new MemoryFolder();
    const result = await convertToFloat32(folder.blob('model.onnx'), again, { externalDataThresholdBytes: Number.POSITIVE_INFINITY });
    expect(result.counts).toMatchObject({ castsRewritten: 0, castsRemoved: 0, attributeTensorsWidened: 0, typesRewritten: 0, initializersWidened: 0 });
    expect(again.files.get('model.onnx')).toEqual(folder.files.get('model.onnx'));
  });

  it('rewrites fp16 inside If subgraphs', async () => {
    const branch = (v: number): IGraphProto => ({
      name: `b${v}`,
      node: [{ opType: 'Constant', output: [`k${v}`], attribute: [attr('value', f16(`kv${v}`, [1], [v]))] }],
      output: [valueInfo(`k${v}`, T.FLOAT16, [1])],
    });
    const bytes = modelBytes({
      name: 'if',
      node: [
        { opType: 'If', input: ['cond'], output: ['k'], attribute: [attr('then_branch', branch(2), 'graph'), attr('else_branch', branch(3), 'graph')] },
        { opType: 'Cast', input: ['k'], output: ['y'], attribute: [attr('to', T.FLOAT)] },
      ],
      input: [valueInfo('cond', T.BOOL, [])],
      output: [valueInfo('y', T.FLOAT, [1])],
    });
    const folder = new MemoryFolder();
    const result = await convertToFloat32(blobOf(bytes), folder);
    expect(result.counts.attributeTensorsWidened).toBe(2);
    const y = await runOnDisk(folder.files, 'model.onnx', { cond: new ort.Tensor('bool', [false], []) }, 'y');
    expect(Array.from(y)).toEqual([3]);
  });

  it('fails with MalformedModelError on a truncated file and leaves nothing behind', async () => {
    const bytes = castGraph();
    for (const cut of [bytes.length - 1, bytes.length - 5000, Math.floor(bytes.length / 2), 3]) {
      const folder = new MemoryFolder();
      await expect(convertToFloat32(blobOf(bytes.subarray(0, cut)), folder, { externalDataThresholdBytes: 1024 })).rejects.toBeInstanceOf(MalformedModelError);
      expect([...folder.files.keys()]).toEqual([]);
    }
  });

  it('fails with MalformedModelError on bytes that are not a model', async () => {
    await expect(convertToFloat32(blobOf(new TextEncoder().encode('<!doctype html><html>not a model</html>')), new MemoryFolder())).rejects.toBeInstanceOf(
      MalformedModelError,
    );
  });

  it('fails with UnsupportedModelError on an unknown tensor type, naming the tensor', async () => {
    const bytes = modelBytes({
      name: 'odd',
      node: [{ opType: 'Identity', input: ['odd'], output: ['y'] }],
      initializer: [{ name: 'odd', dims: [2], dataType: 99, rawData: new Uint8Array(8) }],
      output: [valueInfo('y', T.FLOAT, [2])],
    });
    await expect(convertToFloat32(blobOf(bytes), new MemoryFolder())).rejects.toThrow(UnsupportedModelError);
    await expect(convertToFloat32(blobOf(bytes), new MemoryFolder())).rejects.toThrow(/odd .*data type 99/);
  });

  it('stops on abort and removes its partial files', async () => {
    const controller = new AbortController();
    const reason = new Error('user left');
    const folder = new MemoryFolder();
    const work = convertToFloat32(blobOf(castGraph()), folder, {
      externalDataThresholdBytes: 1024,
      chunkBytes: 1024,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.doneBytes > N) controller.abort(reason);
      },
    });
    await expect(work).rejects.toBe(reason);
    expect([...folder.files.keys()]).toEqual([]);
  });

  it('reads a model whose weights are already external (input resolver)', async () => {
    const first = new MemoryFolder();
    await convertToFloat32(blobOf(castGraph()), first, { externalDataThresholdBytes: 1024 });
    const second = new MemoryFolder();
    const result = await convertToFloat32(first.blob('model.onnx'), second, {
      externalDataThresholdBytes: 1024,
      resolveExternal: (location) => (first.files.has(location) ? first.blob(location) : undefined),
    });
    expect(result.counts.initializersWidened).toBe(0);
    expect(second.files.get('model.onnx.data.0')).toEqual(first.files.get('model.onnx.data.0'));
    await expect(convertToFloat32(first.blob('model.onnx'), new MemoryFolder(), { externalDataThresholdBytes: 1024 })).rejects.toThrow(
      /external file model.onnx.data.0, which was not provided/,
    );
  });

  it('passes float32 initializers through', async () => {
    const bytes = modelBytes({
      name: 'f32',
      node: [{ opType: 'Add', input: ['x', 'W'], output: ['y'] }],
      initializer: [f32('W', [N], wave(N, 5))],
      input: [valueInfo('x', T.FLOAT, [N])],
      output: [valueInfo('y', T.FLOAT, [N])],
    });
    const folder = new MemoryFolder();
    const result = await convertToFloat32(blobOf(bytes), folder, { externalDataThresholdBytes: 1024 });
    expect(folder.files.get('model.onnx.data.0')).toEqual(new Uint8Array(wave(N, 5).buffer));
    expect(result.initializerBytes).toBe(N * 4);
  });
});
