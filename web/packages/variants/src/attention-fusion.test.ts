import { describe, expect, it } from 'vitest';
import { MemoryFolder } from './output.js';
import { attr, blobOf, decode, f32, modelBytes, ort, runOnDisk, T, valueInfo, wave } from './testing/crafted-graphs.js';
import { convertToFloat32 } from './transform.js';

function ints(name: string, values: number[]) {
  return { name, dims: [values.length], dataType: T.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

interface Change {
  softmaxAxis?: number;
  probsAsOutput?: boolean;
  scaleFromInput?: boolean;
  /**
   * The head dim computed as torch traces diffusers' `inner_dim // heads`:
   * Concat(Unsqueeze(Gather(Shape(q), 0)), [-1], [2], Unsqueeze(Cast(Div(Gather(Shape(q), 2), 2)))),
   * 'per-side': V's computed again from Shape(v) (another tensor: its D is not known equal).
   */
  computedHeadDim?: true | 'per-side';
}

/** Nodes computing the head split shape from x's shape, as torch traces it (dynamic D); output `${x}_split`. */
function computedSplit(x: string) {
  const p = `${x}_`;
  return [
    { opType: 'Shape', input: [x], output: [`${p}shape`] },
    { opType: 'Gather', input: [`${p}shape`, 'i0'], output: [`${p}b`], attribute: [attr('axis', 0)] },
    { opType: 'Unsqueeze', input: [`${p}b`, 'axes0'], output: [`${p}b1`] },
    { opType: 'Gather', input: [`${p}shape`, 'i2'], output: [`${p}c`], attribute: [attr('axis', 0)] },
    { opType: 'Div', input: [`${p}c`, 'i2'], output: [`${p}d`] },
    { opType: 'Cast', input: [`${p}d`], output: [`${p}dl`], attribute: [attr('to', T.INT64)] },
    { opType: 'Unsqueeze', input: [`${p}dl`, 'axes0'], output: [`${p}d1`] },
    { opType: 'Concat', input: [`${p}b1`, 'minus1', 'two', `${p}d1`], output: [`${x}_split`], attribute: [attr('axis', 0)] },
  ];
}

const scalarInt = (name: string, value: number) => ({ ...ints(name, [value]), dims: [] });

/** Plain attention over q, k, v [1, 4, 8] with 2 heads of 4, scores scaled by 0.25 after the MatMul (not the default 1/sqrt(4)). */
function attentionGraph(change: Change = {}): Uint8Array {
  const perm = (p: number[]) => ({ name: 'perm', type: 7, ints: p });
  const computed = change.computedHeadDim !== undefined;
  const splitOf = (x: 'q' | 'k' | 'v') => (!computed ? 'split' : x === 'v' && change.computedHeadDim === 'per-side' ? 'v_split' : 'q_split');
  return modelBytes({
    name: 'attention',
    node: [
      ...(computed ? computedSplit('q') : []),
      ...(change.computedHeadDim === 'per-side' ? computedSplit('v') : []),
      { opType: 'Reshape', input: ['q', splitOf('q')], output: ['q4'] },
      { opType: 'Transpose', input: ['q4'], output: ['qh'], attribute: [perm([0, 2, 1, 3])] },
      { opType: 'Reshape', input: ['k', splitOf('k')], output: ['k4'] },
      { opType: 'Transpose', input: ['k4'], output: ['kt'], attribute: [perm([0, 2, 3, 1])] },
      { opType: 'Reshape', input: ['v', splitOf('v')], output: ['v4'] },
      { opType: 'Transpose', input: ['v4'], output: ['vh'], attribute: [perm([0, 2, 1, 3])] },
      { opType: 'MatMul', input: ['qh', 'kt'], output: ['s'] },
      { opType: 'Mul', input: ['s', change.scaleFromInput ? 'c_in' : 'c'], output: ['ss'] },
      { opType: 'Softmax', input: ['ss'], output: ['p'], attribute: [attr('axis', change.softmaxAxis ?? -1)] },
      { opType: 'MatMul', input: ['p', 'vh'], output: ['o'] },
      { opType: 'Transpose', input: ['o'], output: ['ot'], attribute: [perm([0, 2, 1, 3])] },
      { opType: 'Reshape', input: ['ot', 'merge'], output: ['y'] },
    ],
    initializer: [
      ...(computed ? [scalarInt('i0', 0), scalarInt('i2', 2), ints('axes0', [0]), ints('minus1', [-1]), ints('two', [2])] : [ints('split', [0, 0, 2, 4])]),
      ints('merge', [0, 0, 8]),
      f32('c', [], [0.25]),
    ],
    input: [
      valueInfo('q', T.FLOAT, [1, 4, 8]),
      valueInfo('k', T.FLOAT, [1, 4, 8]),
      valueInfo('v', T.FLOAT, [1, 4, 8]),
      ...(change.scaleFromInput ? [valueInfo('c_in', T.FLOAT, [])] : []),
    ],
    output: [valueInfo('y', T.FLOAT, [1, 4, 8]), ...(change.probsAsOutput ? [valueInfo('p', T.FLOAT, [1, 2, 4, 4])] : [])],
  });
}

async function convert(bytes: Uint8Array, fuseAttention: boolean) {
  const folder = new MemoryFolder();
  const result = await convertToFloat32(blobOf(bytes), folder, { fuseAttention });
  return { result, files: folder.files, model: folder.files.get('model.onnx') as Uint8Array };
}

const feeds = () => ({
  q: new ort.Tensor('float32', wave(32, 1), [1, 4, 8]),
  k: new ort.Tensor('float32', wave(32, 2), [1, 4, 8]),
  v: new ort.Tensor('float32', wave(32, 3), [1, 4, 8]),
});

async function maxDiffOfRuns(plain: ReadonlyMap<string, Uint8Array>, fused: ReadonlyMap<string, Uint8Array>): Promise<number> {
  const a = await runOnDisk(plain, 'model.onnx', feeds(), 'y');
  const b = await runOnDisk(fused, 'model.onnx', feeds(), 'y');
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] ?? Number.NaN))), 0);
}

const opTypes = (model: Uint8Array) => (decode(model).graph?.node ?? []).map((n) => n.opType);

describe('attention fusion (crafted graphs)', () => {
  it('fuses plain attention with a non-default scale into MultiHeadAttention with that scale; same output', async () => {
    const plain = await convert(attentionGraph(), false);
    const fused = await convert(attentionGraph(), true);
    expect(fused.result.counts.attentionFused).toBe(1);
    const graph = decode(fused.model).graph;
    const mha = (graph?.node ?? []).find((n) => n.opType === 'MultiHeadAttention');
    expect(mha?.domain).toBe('com.microsoft');
    expect(Number((mha?.attribute ?? []).find((a) => a.name === 'num_heads')?.i)).toBe(2);
    expect((mha?.attribute ?? []).find((a) => a.name === 'scale')?.f).toBeCloseTo(0.25, 7);
    expect((graph?.node ?? []).map((n) => n.opType).filter((op) => op === 'Softmax' || op === 'MatMul' || op === 'Transpose')).toEqual([]);
    expect((graph?.initializer ?? []).map((t) => t.name)).toEqual(['split', 'merge']); // the scale constant went with its Mul
    expect(await maxDiffOfRuns(plain.files, fused.files)).toBeLessThan(1e-6);
  });

  it('fuses attention whose head dim is computed from the shape (as torch traces it), the scale written out; same output', async () => {
    const plain = await convert(attentionGraph({ computedHeadDim: true }), false);
    const fused = await convert(attentionGraph({ computedHeadDim: true }), true);
    expect(fused.result.counts.attentionFused).toBe(1);
    const nodes = decode(fused.model).graph?.node ?? [];
    const mha = nodes.find((n) => n.opType === 'MultiHeadAttention');
    expect(Number((mha?.attribute ?? []).find((a) => a.name === 'num_heads')?.i)).toBe(2);
    expect((mha?.attribute ?? []).find((a) => a.name === 'scale')?.f).toBeCloseTo(0.25, 7);
    // Q, K, V are viewed as [b, s, H*D] by a shape that does not need D.
    const shape = nodes.find((n) => n.opType === 'Constant' && n.output?.[0]?.endsWith('/shape'))?.attribute?.[0]?.t;
    expect([...new BigInt64Array(Uint8Array.from(shape?.rawData ?? []).buffer)].map(Number)).toEqual([0, 0, -1]);
    expect(opTypes(fused.model).filter((op) => op === 'Softmax' || op === 'MatMul' || op === 'Transpose')).toEqual([]);
    expect(await maxDiffOfRuns(plain.files, fused.files)).toBeLessThan(1e-6);
  });

  it('leaves attention alone, byte for byte, when any part of the pattern differs', async () => {
    const changes: Change[] = [{ softmaxAxis: 2 }, { probsAsOutput: true }, { scaleFromInput: true }, { computedHeadDim: 'per-side' }];
    for (const change of changes) {
      const plain = await convert(attentionGraph(change), false);
      const fused = await convert(attentionGraph(change), true);
      expect(fused.result.counts.attentionFused, JSON.stringify(change)).toBe(0);
      expect(Buffer.from(fused.model).equals(Buffer.from(plain.model)), JSON.stringify(change)).toBe(true);
    }
  });
});
