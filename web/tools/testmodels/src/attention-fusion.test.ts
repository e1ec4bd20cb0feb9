import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertToFloat32, MemoryFolder } from '@hybridgen/variants';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GraphRole, TEXT_HIDDEN_SIZE, TEXT_MAX_LENGTH } from './contract.js';
import { type GeneratedTestModel, generateTestModels } from './generate.js';
import { UNET_CONFIG } from './graphs/unet.js';
import { Rng } from './prng.js';
import { maxAbsDiff, rms } from './reference.js';
import { gaussianLatents } from './test-inputs.js';

const { onnx } = onnxProto;

/**
 * Stated tolerance: fused vs plain attention of the same fp32 graph, max |diff| <= 1e-5 x rms of
 * the output (both fp32; only the order of the softmax's and the matmuls' sums differs).
 */
const TOLERANCE = 1e-5;

/** The fp16 graph of `role` derived to fp32, attention fused or not; everything inline (one buffer). */
async function derive(model: GeneratedTestModel, role: GraphRole, fuseAttention: boolean) {
  const source = readFileSync(model.graphs.fp16[role]);
  const folder = new MemoryFolder();
  const result = await convertToFloat32(new Blob([source]), folder, { externalDataThresholdBytes: Number.POSITIVE_INFINITY, fuseAttention });
  const bytes = folder.files.get('model.onnx');
  if (!bytes) throw new Error('no model.onnx written');
  return { bytes, result, decoded: onnx.ModelProto.decode(bytes) };
}

async function run(bytes: Uint8Array, feeds: Record<string, ort.Tensor>, level: 'disabled' | 'all'): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
  try {
    const out = await session.run(feeds);
    return (out[session.outputNames[0] ?? ''] as ort.Tensor).data as Float32Array;
  } finally {
    await session.release();
  }
}

function unetFeeds(): Record<string, ort.Tensor> {
  const sample = gaussianLatents(7, { height: 16, width: 16 });
  const context = new Rng(11).normals(TEXT_MAX_LENGTH * TEXT_HIDDEN_SIZE, 1);
  return {
    sample: new ort.Tensor('float32', sample.data, sample.dims),
    timestep: new ort.Tensor('int64', BigInt64Array.from([999n]), [1]),
    encoder_hidden_states: new ort.Tensor('float32', context, [1, TEXT_MAX_LENGTH, TEXT_HIDDEN_SIZE]),
  };
}

const opsOf = (decoded: onnxProto.onnx.ModelProto) => (decoded.graph?.node ?? []).map((n) => n.opType ?? '');

describe('attention fusion in the fp32 derivation, in onnxruntime-node', () => {
  let dir: string;
  let model: GeneratedTestModel;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'attention-fusion-'));
    model = generateTestModels({ outDir: dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("replaces the UNet's self- and cross-attention (the published export's form) by MultiHeadAttention, same out_sample", async () => {
    const plain = await derive(model, 'unet', false);
    const fused = await derive(model, 'unet', true);
    expect(plain.result.counts.attentionFused).toBe(0);
    expect(fused.result.counts.attentionFused).toBe(2);
    const mha = (fused.decoded.graph?.node ?? []).filter((n) => n.opType === 'MultiHeadAttention') ?? [];
    expect(mha.map((n) => n.domain)).toEqual(['com.microsoft', 'com.microsoft']);
    for (const n of mha) {
      expect(Number((n.attribute ?? []).find((a) => a.name === 'num_heads')?.i)).toBe(UNET_CONFIG.heads);
      expect((n.attribute ?? []).some((a) => a.name === 'scale')).toBe(false); // sqrt(1/sqrt(d))^2 is the default 1/sqrt(d)
    }
    expect(fused.decoded.opsetImport.some((o) => o.domain === 'com.microsoft' && Number(o.version) === 1)).toBe(true);
    // Nothing of the plain attention is left: no Softmax, no Sqrt/Slice of the exporter's scale.
    const before = opsOf(plain.decoded);
    const after = opsOf(fused.decoded);
    const count = (ops: string[], op: string) => ops.filter((o) => o === op).length;
    const removed = Object.fromEntries(['Softmax', 'Sqrt', 'Slice', 'MatMul'].map((op) => [op, count(before, op) - count(after, op)]));
    expect(removed).toEqual({ Softmax: 2, Sqrt: 6, Slice: 2, MatMul: 4 }); // the timestep's Slice and the projections stay
    expect(count(after, 'Softmax')).toBe(0);
    expect(after.length).toBeLessThan(before.length);

    const feeds = unetFeeds();
    for (const level of ['disabled', 'all'] as const) {
      const a = await run(plain.bytes, feeds, level);
      const b = await run(fused.bytes, feeds, level);
      const rel = maxAbsDiff(a, b) / rms(a);
      console.log(
        `UNet fused vs plain attention (${level} graph optimizations): max |diff| ${maxAbsDiff(a, b).toExponential(2)}, ${rel.toExponential(2)} x rms`,
      );
      expect(rel).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it("fuses the other plain form too (the VAE decoder's: constant shapes, the scale after the MatMul, one head)", async () => {
    const plain = await derive(model, 'vae_decoder', false);
    const fused = await derive(model, 'vae_decoder', true);
    expect(fused.result.counts.attentionFused).toBe(1);
    const latent = gaussianLatents(3, { height: 8, width: 8 });
    const feeds = { latent_sample: new ort.Tensor('float32', latent.data, latent.dims) };
    const a = await run(plain.bytes, feeds, 'disabled');
    const b = await run(fused.bytes, feeds, 'disabled');
    expect(maxAbsDiff(a, b) / rms(a)).toBeLessThanOrEqual(TOLERANCE);
  });

  it("leaves the text encoder's causal attention (a mask added to the scores) untouched, byte for byte", async () => {
    const plain = await derive(model, 'text_encoder', false);
    const fused = await derive(model, 'text_encoder', true);
    expect(fused.result.counts.attentionFused).toBe(0);
    expect(Buffer.from(fused.bytes).equals(Buffer.from(plain.bytes))).toBe(true);
  });
});
