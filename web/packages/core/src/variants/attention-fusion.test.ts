import { describe, expect, it } from 'vitest';
import { MemoryFolder } from './output.js';
import { attr, blobOf, decode, f32, modelBytes, ort, runOnDisk, T, valueInfo, wave } from './testing/crafted-graphs.js';
import { convertToFloat32 } from './transform.js';

function ints(name: string, values: number[]) {
  return { name, dims: [values.length], dataType: T.INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) };
}

/** Plain attention over q, k, v [1, 4, 8] with 2 heads of 4, scores scaled by 0.25 after the MatMul (not the default 1/sqrt(4)). */
function attentionGraph(change: { softmaxAxis?: number; probsAsOutput?: boolean; scaleFromInput?: boolean } = {}): Uint8Array {
  const perm = (p: number[]) => ({ name: 'perm', type: 7, ints: p });
  return modelBytes({
    name: 'attention',
    node: [
      { opType: 'Reshape', input: ['q', 'split'], output: ['q4'] },
      { opType: 'Transpose', input: ['q4'], output: ['qh'], attribute: [perm([0, 2, 1, 3])] },
      { opType: 'Reshape', input: ['k', 'split'], output: ['k4'] },
      { opType: 'Transpose', input: ['k4'], output: ['kt'], attribute: [perm([0, 2, 3, 1])] },
      { opType: 'Reshape', input: ['v', 'split'], output: ['v4'] },
      { opType: 'Transpose', input: ['v4'], output: ['vh'], attribute: [perm([0, 2, 1, 3])] },
      { opType: 'MatMul', input: ['qh', 'kt'], output: ['s'] },
      { opType: 'Mul', input: ['s', change.scaleFromInput ? 'c_in' : 'c'], output: ['ss'] },
      { opType: 'Softmax', input: ['ss'], output: ['p'], attribute: [attr('axis', change.softmaxAxis ?? -1)] },
      { opType: 'MatMul', input: ['p', 'vh'], output: ['o'] },
      { opType: 'Transpose', input: ['o'], output: ['ot'], attribute: [perm([0, 2, 1, 3])] },
      { opType: 'Reshape', input: ['ot', 'merge'], output: ['y'] },
    ],
    initializer: [ints('split', [0, 0, 2, 4]), ints('merge', [0, 0, 8]), f32('c', [], [0.25])],
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
    const a = await runOnDisk(plain.files, 'model.onnx', feeds(), 'y');
    const b = await runOnDisk(fused.files, 'model.onnx', feeds(), 'y');
    const maxDiff = a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] ?? Number.NaN))), 0);
    expect(maxDiff).toBeLessThan(1e-6);
  });

  it('leaves attention alone, byte for byte, when any part of the pattern differs', async () => {
    for (const change of [{ softmaxAxis: 2 }, { probsAsOutput: true }, { scaleFromInput: true }]) {
      const plain = await convert(attentionGraph(change), false);
      const fused = await convert(attentionGraph(change), true);
      expect(fused.result.counts.attentionFused, JSON.stringify(change)).toBe(0);
      expect(Buffer.from(fused.model).equals(Buffer.from(plain.model)), JSON.stringify(change)).toBe(true);
    }
  });
});
