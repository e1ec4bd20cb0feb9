import { ClipTokenizer } from '@hybridgen/core';
import { describe, expect, it } from 'vitest';
import { fixtureTokenizerFiles } from '../../core/src/engine/tokenizer/tokenizer.fixture.js';
import { readVariantTokenizerFiles, TOKENIZER_FILE_NAMES } from '../../core/src/engine/tokenizer/tokenizer-files.js';
import { buildVariant, estimateVariantBytes, type OutputTree, VARIANT_FILE } from './build.js';
import { VariantQuotaError } from './errors.js';
import { MemoryFolder } from './output.js';
import { estimateDerivedRequirements } from './prepare.js';
import { attr, blobOf, f16, modelBytes, T, valueInfo, wave } from './testing/crafted-graphs.js';

const N = 64;

function unet(): Uint8Array {
  return modelBytes({
    name: 'unet',
    node: [
      { opType: 'Cast', input: ['x'], output: ['x16'], attribute: [attr('to', T.FLOAT16)] },
      { opType: 'MatMul', input: ['x16', 'W'], output: ['h'] },
      { opType: 'Add', input: ['h', 'B'], output: ['a'] },
      { opType: 'Cast', input: ['a'], output: ['y'], attribute: [attr('to', T.FLOAT)] },
    ],
    initializer: [f16('W', [N, N], wave(N * N)), f16('B', [N], wave(N, 2))],
    input: [valueInfo('x', T.FLOAT, [1, N])],
    output: [valueInfo('y', T.FLOAT, [1, N])],
  });
}

/** An OutputTree of MemoryFolders keyed by folder path. */
function memoryTree(): OutputTree & { readFile(path: string): Promise<Blob>; folders: Map<string, MemoryFolder>; bytes(): number } {
  const folders = new Map<string, MemoryFolder>();
  const folder = (dir: string) => {
    let f = folders.get(dir);
    if (!f) {
      f = new MemoryFolder();
      folders.set(dir, f);
    }
    return f;
  };
  return {
    folders,
    open: async (path) => folder(path),
    clear: async () => folders.clear(),
    async readFile(path) {
      const i = path.lastIndexOf('/');
      return folder(i < 0 ? '' : path.slice(0, i)).blob(i < 0 ? path : path.slice(i + 1));
    },
    bytes: () => [...folders.values()].reduce((sum, f) => sum + [...f.files.values()].reduce((a, b) => a + b.byteLength, 0), 0),
  };
}

/** The real tokenizer layout (SD-Turbo's `tokenizer/` folder), with the unit-test vocabulary. */
const tokenizerFiles = Object.entries({
  [TOKENIZER_FILE_NAMES.vocab]: fixtureTokenizerFiles.vocab,
  [TOKENIZER_FILE_NAMES.merges]: fixtureTokenizerFiles.merges,
  [TOKENIZER_FILE_NAMES.specialTokensMap]: fixtureTokenizerFiles.specialTokensMap,
  [TOKENIZER_FILE_NAMES.tokenizerConfig]: fixtureTokenizerFiles.tokenizerConfig,
}).map(([name, text]) => ({ path: `tokenizer/${name}`, data: new TextEncoder().encode(text) }));
const request = {
  files: [
    ...tokenizerFiles.map((f) => ({ role: 'tokenizer', path: f.path, bytes: f.data.byteLength })),
    { role: 'unet', path: 'unet/model.onnx', bytes: unet().byteLength },
  ],
  blobs: { ...Object.fromEntries(tokenizerFiles.map((f) => [f.path, blobOf(f.data)])), 'unet/model.onnx': blobOf(unet()) },
  quantize: { minElements: 1024 },
};
const TOKENIZER_ROWS = tokenizerFiles.map((f) => ['tokenizer', f.path]);

describe('buildVariant', () => {
  it('writes every file, external data listed, requirements from the files, variant.json last', async () => {
    const tree = memoryTree();
    const built = await buildVariant({ ...request, kind: 'fp32' }, tree);
    expect(built.backend).toBe('webgpu-f32');
    expect(built.variant.files.map((f) => [f.role, f.path])).toEqual([
      ...TOKENIZER_ROWS,
      ['external_data', 'unet/model.onnx.data.0'],
      ['unet', 'unet/model.onnx'],
    ]);
    expect(built.requirements).toMatchObject({ needsShaderF16: false, largestBufferBytes: N * N * 4 });
    expect([...(tree.folders.get('')?.files.keys() ?? [])]).toEqual([VARIANT_FILE]);
    const written = JSON.parse(new TextDecoder().decode(tree.folders.get('')?.files.get(VARIANT_FILE))) as { kind: string; files: unknown[] };
    expect(written.kind).toBe('fp32');
    expect(written.files).toEqual(built.variant.files);
  });

  it('carries the tokenizer files byte for byte into fp32 and int8 variants, and the engine builds the same tokenizer from them', async () => {
    const source = new ClipTokenizer(fixtureTokenizerFiles, { maxLength: 77, padTokenId: 0 });
    for (const kind of ['fp32', 'int8'] as const) {
      const tree = memoryTree();
      const built = await buildVariant({ ...request, kind }, tree);
      for (const f of tokenizerFiles) {
        const copied = new Uint8Array(await (await tree.readFile(f.path)).arrayBuffer());
        expect(copied, `${kind} ${f.path}`).toEqual(f.data);
      }
      const read = async (entry: { path: string }) => new Uint8Array(await (await tree.readFile(entry.path)).arrayBuffer());
      const derived = new ClipTokenizer(await readVariantTokenizerFiles(built.variant.files, read), { maxLength: 77, padTokenId: 0 });
      expect(derived.encode('a cat and a dog').ids, kind).toEqual(source.encode('a cat and a dog').ids);
    }
  });

  it('estimates the bytes it will write from headers (fp32 and int8)', async () => {
    for (const kind of ['fp32', 'int8'] as const) {
      const tree = memoryTree();
      await buildVariant({ ...request, kind }, tree);
      const written = tree.bytes() - (tree.folders.get('')?.files.get(VARIANT_FILE)?.byteLength ?? 0);
      const estimate = await estimateVariantBytes({ ...request, kind });
      expect(Math.abs(estimate - written) / written, kind).toBeLessThan(0.1);
    }
  });

  it('estimates a derived variant’s requirements before it is built', async () => {
    const rel = (a: number, b: number) => Math.abs(a - b) / b;
    for (const [kind, backend] of [
      ['fp32', 'webgpu-f32'],
      ['int8', 'wasm'],
    ] as const) {
      const estimate = await estimateDerivedRequirements(request, kind, backend);
      const built = await buildVariant({ ...request, kind, backend }, memoryTree());
      expect(estimate.largestBufferBytes, kind).toBe(built.requirements.largestBufferBytes);
      expect(rel(estimate.peakMemoryBytes, built.requirements.peakMemoryBytes), kind).toBeLessThan(0.02);
      expect(rel(estimate.totalBytes, built.requirements.totalBytes), kind).toBeLessThan(0.1);
      expect(estimate.needsShaderF16).toBe(false);
    }
  });

  it('fails with VariantQuotaError before writing anything when storage is short', async () => {
    const tree = memoryTree();
    const attempt = buildVariant({ ...request, kind: 'fp32', availableBytes: 10_000 }, tree);
    await expect(attempt).rejects.toBeInstanceOf(VariantQuotaError);
    await expect(buildVariant({ ...request, kind: 'fp32', availableBytes: 10_000 }, tree)).rejects.toThrow(
      /the fp32 variant needs \d+(\.\d)? kB of storage; the browser grants 10\.0 kB more/,
    );
    expect(tree.bytes()).toBe(0);
  });
});
