import type { BlobLike, CapabilityReport } from '@hybridgen/core';
import { GiB, MiB, ModelTooLargeError } from '@hybridgen/core';
import { describe, expect, it } from 'vitest';
import { fakeCapabilities, fakeWebGPU, NO_ADAPTER } from '../../core/src/testing/capabilities.js';
import { pickFittingVariant, requirementsFromFiles, scanModelFile, type VariantCandidate } from './budget.js';
import { MemoryFolder } from './output.js';
import { blobOf, f16, f32, modelBytes, T, valueInfo, wave } from './testing/crafted-graphs.js';
import { convertToFloat32 } from './transform.js';

function caps(webgpu: 'none' | { maxBuffer: number; f16: boolean }): CapabilityReport {
  return fakeCapabilities({ webgpu: webgpu === 'none' ? NO_ADAPTER : fakeWebGPU(webgpu) });
}

/** A Blob that counts the bytes read through it. */
function counting(blob: Blob): BlobLike & { read: number } {
  const wrapper = {
    read: 0,
    size: blob.size,
    slice(start: number, end: number) {
      const part = blob.slice(start, end);
      return {
        arrayBuffer: async () => {
          wrapper.read += part.size;
          return part.arrayBuffer();
        },
      };
    },
  };
  return wrapper;
}

const BIG = 256 * 1024; // elements: 512 KiB of float16

function bigModel(): Uint8Array {
  return modelBytes({
    name: 'big',
    node: [
      { opType: 'Add', input: ['x', 'W'], output: ['a'] },
      { opType: 'Add', input: ['a', 'V'], output: ['y'] },
    ],
    initializer: [f16('W', [BIG], wave(BIG)), f16('V', [BIG / 4], wave(BIG / 4)), f32('s', [3], [1, 2, 3])],
    input: [valueInfo('x', T.FLOAT16, [BIG])],
    output: [valueInfo('y', T.FLOAT16, [BIG])],
  });
}

describe('scanModelFile', () => {
  it('learns initializer sizes and types from headers, without reading the weights', async () => {
    const file = counting(blobOf(bigModel()));
    const facts = await scanModelFile(file);
    expect(facts).toMatchObject({
      initializerCount: 3,
      initializerBytes: BIG * 2 + (BIG / 4) * 2 + 12,
      largestInitializerBytes: BIG * 2,
      largestInitializerName: 'W',
      bytesByType: { float16: BIG * 2 + (BIG / 4) * 2, float: 12 },
      usesFloat16: true,
      largestInt8InitializerBytes: 0,
    });
    expect(file.read).toBeLessThan(facts.fileBytes / 3);
  });
});

describe('requirementsFromFiles', () => {
  it('computes download size (external data included), largest buffer and peak memory from the files', async () => {
    const folder = new MemoryFolder();
    await convertToFloat32(blobOf(bigModel()), folder);
    const data = folder.blob('model.onnx.data.0');
    const graph = { role: 'unet', model: folder.blob('model.onnx'), externalData: [data], activationBytes: 1000 };
    const wasm = await requirementsFromFiles([graph], { backend: 'wasm', otherBytes: 100, runtimeOverheadBytes: 0 });
    const weights = BIG * 4 + BIG + 12;
    expect(wasm.totalBytes).toBe(graph.model.size + data.size + 100);
    expect(wasm.largestBufferBytes).toBe(BIG * 4);
    expect(wasm.peakMemoryBytes).toBe(Math.round(1.25 * weights + 4 * 1000));
    expect(wasm.needsShaderF16).toBe(false);
    const gpu = await requirementsFromFiles([{ role: 'unet', model: blobOf(bigModel()) }], { backend: 'webgpu-f16' });
    expect(gpu.needsShaderF16).toBe(true);
    expect(gpu.largestBufferBytes).toBe(BIG * 2);
  });
});

describe('pickFittingVariant', () => {
  // Full-size SD-Turbo at 512 px, the size arithmetic of CONTEXT.md: fp32 vs int8 weights, all three sessions live.
  const fp32Wasm: VariantCandidate = {
    label: 'fp32',
    backend: 'wasm',
    requirements: { totalBytes: 5.02e9, largestBufferBytes: 335e6, peakMemoryBytes: 9.87e9, needsShaderF16: false },
  };
  const int8Wasm: VariantCandidate = {
    label: 'int8',
    backend: 'wasm',
    requirements: { totalBytes: 1.42e9, largestBufferBytes: 335e6, peakMemoryBytes: 3.69e9, needsShaderF16: false },
  };
  const fp32Gpu: VariantCandidate = {
    label: 'fp32',
    backend: 'webgpu-f32',
    requirements: { totalBytes: 5.0e9, largestBufferBytes: 400 * MiB, peakMemoryBytes: 5.5e9, needsShaderF16: false },
  };

  it('takes the first candidate that fits', () => {
    expect(pickFittingVariant(caps('none'), [fp32Wasm, int8Wasm])).toBe(int8Wasm);
    expect(pickFittingVariant(caps({ maxBuffer: 2 * GiB, f16: false }), [fp32Gpu, int8Wasm])).toBe(fp32Gpu);
  });

  it('says what would fit when wasm32 memory is too small', () => {
    let error: unknown;
    try {
      pickFittingVariant(caps('none'), [fp32Wasm], [int8Wasm]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModelTooLargeError);
    const e = error as ModelTooLargeError;
    expect(e.message).toBe(
      'the fp32 variant (wasm) does not fit: it needs 9.9 GB of wasm memory; wasm32 addresses at most 4.3 GB. The int8 variant (wasm, 3.7 GB of wasm memory) fits.',
    );
    expect(e.neededBytes).toBe(9.87e9);
    expect(e.limitBytes).toBe(4 * GiB);
    expect(e.fits).toEqual(['wasm']);
  });

  it('says so when a weight exceeds the GPU buffer limit, and when nothing fits', () => {
    expect(() => pickFittingVariant(caps({ maxBuffer: 128 * MiB, f16: false }), [fp32Gpu], [int8Wasm])).toThrow(
      /the fp32 variant \(webgpu-f32\) does not fit: its largest tensor needs a 419 MB GPU buffer; the adapter allows 134 MB\. The int8 variant \(wasm, 3\.7 GB of wasm memory\) fits\./,
    );
    expect(() => pickFittingVariant(caps('none'), [fp32Wasm], [])).toThrow(/No variant of this model fits this device/);
  });
});
