import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPH_IO, GRAPH_ROLES, PRECISIONS, TEST_MODEL_ID } from './contract.js';
import { type GeneratedTestModel, generateTestModels } from './generate.js';
import { loadTokenizer } from './test-inputs.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
}

function loadModel(path: string): onnxProto.onnx.ModelProto {
  return onnx.ModelProto.decode(readFileSync(path));
}

describe('generateTestModels', () => {
  const dirs: string[] = [];
  let first: GeneratedTestModel;
  let second: GeneratedTestModel;

  beforeAll(() => {
    const a = mkdtempSync(join(tmpdir(), 'testmodels-'));
    const b = mkdtempSync(join(tmpdir(), 'testmodels-'));
    dirs.push(a, b);
    first = generateTestModels({ outDir: a });
    second = generateTestModels({ outDir: b });
  });
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the documented layout', () => {
    expect(relative(dirs[0] ?? '', first.modelDir)).toBe(TEST_MODEL_ID);
    expect(listFiles(first.modelDir)).toEqual([
      'fp16/text_encoder/model.onnx',
      'fp16/unet/model.onnx',
      'fp16/vae_decoder/model.onnx',
      'fp32/text_encoder/model.onnx',
      'fp32/unet/model.onnx',
      'fp32/vae_decoder/model.onnx',
      'manifest.json',
      'tiny_decoder/model.onnx',
      'tiny_encoder/model.onnx',
      'tokenizer/merges.txt',
      'tokenizer/special_tokens_map.json',
      'tokenizer/tokenizer_config.json',
      'tokenizer/vocab.json',
    ]);
  });

  it('is deterministic: two runs give byte-identical files', () => {
    for (const file of listFiles(first.modelDir)) {
      expect(readFileSync(join(second.modelDir, file)).equals(readFileSync(join(first.modelDir, file))), file).toBe(true);
    }
  });

  it('gives other weights for another seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'testmodels-'));
    dirs.push(dir);
    const other = generateTestModels({ outDir: dir, seed: 7 });
    expect(readFileSync(other.graphs.fp32.unet).equals(readFileSync(first.graphs.fp32.unet))).toBe(false);
  });

  it('writes a manifest whose sizes and hashes are those of the files', () => {
    const manifest = JSON.parse(readFileSync(first.manifestPath, 'utf8'));
    expect(manifest).toEqual(first.manifest);
    expect(manifest).toMatchObject({ schemaVersion: 1, id: TEST_MODEL_ID, baseUrl: './', pipeline: { kind: 'sd-turbo', textMaxLength: 77, padTokenId: 0 } });
    expect(Object.keys(manifest.variants).sort()).toEqual(['wasm', 'webgpu-f16', 'webgpu-f32']);
    for (const [backend, variant] of Object.entries(first.manifest.variants)) {
      const precision = backend === 'webgpu-f16' ? 'fp16' : 'fp32';
      expect(variant.requirements.needsShaderF16).toBe(precision === 'fp16');
      expect(variant.files.map((f) => f.role)).toEqual([
        'tokenizer',
        'tokenizer',
        'tokenizer',
        'tokenizer',
        'text_encoder',
        'unet',
        'vae_decoder',
        'tiny_decoder',
        'tiny_encoder',
      ]);
      let total = 0;
      for (const file of variant.files) {
        const data = readFileSync(join(first.modelDir, file.path));
        expect(file.bytes).toBe(data.byteLength);
        expect(file.sha256).toBe(createHash('sha256').update(data).digest('hex'));
        // The tiny decoder is one fp32 file shared by every variant, as in the real manifest.
        if (file.role === 'tiny_decoder' || file.role === 'tiny_encoder') expect(file.path).toBe(`${file.role}/model.onnx`);
        else if (file.role !== 'tokenizer') expect(file.path.startsWith(`${precision}/`)).toBe(true);
        total += file.bytes;
      }
      expect(variant.requirements.totalBytes).toBe(total);
      expect(total).toBeLessThan(5 * 1024 * 1024);
      expect(variant.requirements.largestBufferBytes).toBeGreaterThan(0);
      expect(variant.requirements.peakMemoryBytes).toBeGreaterThan(variant.requirements.largestBufferBytes);
    }
  });

  it('uses opset 14 (as optimum exports SD) and the operator families of the real graphs', () => {
    const families: Record<string, string[]> = {
      text_encoder: ['Gather', 'LayerNormalization', 'MatMul', 'Softmax', 'Erf', 'Add', 'Trilu', 'ArgMax', 'GatherND'],
      unet: ['Conv', 'InstanceNormalization', 'Sigmoid', 'Sin', 'Cos', 'MatMul', 'Softmax', 'Resize', 'Concat', 'LayerNormalization'],
      vae_decoder: ['Conv', 'InstanceNormalization', 'Sigmoid', 'Resize', 'MatMul', 'Softmax'],
    };
    for (const precision of PRECISIONS) {
      for (const role of GRAPH_ROLES) {
        const model = loadModel(first.graphs[precision][role]);
        expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 14]]);
        const ops = new Set(model.graph?.node?.map((n) => n.opType));
        for (const op of families[role] ?? []) expect(ops.has(op), `${precision} ${role} uses ${op}`).toBe(true);
        expect(model.graph?.node?.length ?? 0).toBeGreaterThan(30);
      }
    }
  });

  it("declares the published files' inputs and outputs: names, element types, dimension names", () => {
    const TYPES: Record<number, string> = { [FLOAT]: 'float32', [onnx.TensorProto.DataType.INT32]: 'int32', [onnx.TensorProto.DataType.INT64]: 'int64' };
    const declared = (list: onnxProto.onnx.IValueInfoProto[] | null | undefined) =>
      (list ?? []).map((v) => ({
        name: v.name,
        type: TYPES[v.type?.tensorType?.elemType ?? 0],
        shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
      }));
    for (const precision of PRECISIONS) {
      for (const role of GRAPH_ROLES) {
        const graph = loadModel(first.graphs[precision][role]).graph;
        expect(declared(graph?.input), `${precision} ${role}`).toEqual(GRAPH_IO[role].inputs);
        expect(declared(graph?.output), `${precision} ${role}`).toEqual(GRAPH_IO[role].outputs);
      }
    }
  });

  it('stores fp16 weights in the fp16 variant, with fp32 I/O and Casts at the boundaries', () => {
    for (const role of GRAPH_ROLES) {
      const f16 = loadModel(first.graphs.fp16[role]).graph;
      const f32 = loadModel(first.graphs.fp32[role]).graph;
      const f16Floats = f16?.initializer?.filter((t) => t.dataType === FLOAT16) ?? [];
      const f16Singles = f16?.initializer?.filter((t) => t.dataType === FLOAT) ?? [];
      expect(f16Floats.length).toBeGreaterThan(10);
      // The only float32 constants left are the Resize scales and the timestep frequencies (4 values or 16).
      for (const t of f16Singles) expect((t.rawData?.byteLength ?? 0) / 4, `${role} ${t.name}`).toBeLessThanOrEqual(16);
      expect(f32?.initializer?.some((t) => t.dataType === FLOAT16)).toBe(false);
      // onnx-wrap-fp16.py's wrapping: every float input feeds exactly one unnamed Cast `x` -> `x_fp16` at the
      // start of the graph, every output is an unnamed Cast `x_fp16` -> `x` at the end; fp32 graphs have neither.
      const nodes = f16?.node ?? [];
      const floatInputs = (f16?.input ?? []).filter((i) => i.type?.tensorType?.elemType === FLOAT);
      floatInputs.forEach((input, i) => {
        const consumers = nodes.filter((n) => n.input?.includes(input.name ?? ''));
        expect(consumers, `${role} ${input.name}`).toHaveLength(1);
        // Inserted one by one at index 0, so the last input's Cast comes first.
        expect(nodes[floatInputs.length - 1 - i]).toMatchObject({ opType: 'Cast', name: '', input: [input.name], output: [`${input.name}_fp16`] });
      });
      const outputs = f16?.output ?? [];
      outputs.forEach((output, i) => {
        expect(output.type?.tensorType?.elemType).toBe(FLOAT);
        expect(nodes[nodes.length - outputs.length + i]).toMatchObject({ opType: 'Cast', name: '', input: [`${output.name}_fp16`], output: [output.name] });
      });
      expect(f32?.node?.some((n) => n.opType === 'Cast' && (n.output?.[0] ?? '').endsWith('_fp16'))).toBe(false);
      expect(f32?.node?.some((n) => n.opType === 'Identity')).toBe(false);
      expect(statSync(first.graphs.fp16[role]).size).toBeLessThan(0.6 * statSync(first.graphs.fp32[role]).size);
    }
  });
});

describe('the generated tokenizer', () => {
  let dir: string;
  let model: GeneratedTestModel;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'testmodels-'));
    model = generateTestModels({ outDir: dir });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is in the real layout: vocab.json with pad "!" = 0 and the specials last, merges.txt, the JSON files naming the specials', () => {
    const vocab = JSON.parse(readFileSync(join(model.tokenizerDir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const size = Object.keys(vocab).length;
    expect(size).toBeGreaterThan(512 + 300);
    expect(vocab['!']).toBe(0);
    expect([vocab['<|startoftext|>'], vocab['<|endoftext|>']]).toEqual([size - 2, size - 1]);
    const merges = readFileSync(join(model.tokenizerDir, 'merges.txt'), 'utf8').split('\n');
    expect(merges[0]).toBe('#version: 0.2');
    expect(merges.length - 2).toBe(size - 512 - 2);
    const map = JSON.parse(readFileSync(join(model.tokenizerDir, 'special_tokens_map.json'), 'utf8'));
    expect(map).toMatchObject({ bos_token: { content: '<|startoftext|>' }, eos_token: { content: '<|endoftext|>' }, pad_token: '!' });
    const config = JSON.parse(readFileSync(join(model.tokenizerDir, 'tokenizer_config.json'), 'utf8'));
    expect(config).toMatchObject({ tokenizer_class: 'CLIPTokenizer', model_max_length: 77, pad_token: '!' });
  });

  it("encodes a prompt with the engine's tokenizer into whole-word ids between the start and end tokens", () => {
    const vocab = JSON.parse(readFileSync(join(model.tokenizerDir, 'vocab.json'), 'utf8')) as Record<string, number>;
    const tokenizer = loadTokenizer(model.tokenizerDir);
    const { ids, length } = tokenizer.encode('a photo of a cat');
    const words = ['a', 'photo', 'of', 'a', 'cat'].map((w) => vocab[`${w}</w>`]);
    expect(Array.from(ids.slice(0, length))).toEqual([vocab['<|startoftext|>'], ...words, vocab['<|endoftext|>']]);
  });

  it('lowercases, collapses whitespace and splits unknown words into byte-level pieces', () => {
    const tokenizer = loadTokenizer(model.tokenizerDir);
    expect(tokenizer.encode('A  PHOTO\tof a Cat').ids).toEqual(tokenizer.encode('a photo of a cat').ids);
    const rare = tokenizer.encodeText('zyxquv, émoji 7');
    expect(rare.length).toBeGreaterThan(6);
    expect(rare).not.toContain(tokenizer.eosTokenId);
  });

  it('pads to 77 with id 0 and truncates long prompts keeping EOS', () => {
    const tokenizer = loadTokenizer(model.tokenizerDir);
    const short = tokenizer.encode('a photo of a cat').ids;
    expect(short.length).toBe(77);
    expect(Array.from(short.slice(7))).toEqual(new Array(70).fill(0));
    const long = tokenizer.encode('a red cat '.repeat(40)).ids;
    expect(long[76]).toBe(tokenizer.eosTokenId);
    expect(long.includes(0)).toBe(false);
  });
});
