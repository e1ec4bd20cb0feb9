/**
 * Writes the `test-tiny-sd` model folder: tokenizer, fp32 and fp16 graphs,
 * manifest. Deterministic: the same seed gives byte-identical files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRAPH_ROLES, type GraphRole, PRECISIONS, type Precision, TEST_MODEL_ID } from './contract.js';
import { buildTextEncoder } from './graphs/text-encoder.js';
import { buildTinyDecoder } from './graphs/tiny-decoder.js';
import { buildTinyEncoder } from './graphs/tiny-encoder.js';
import { buildUnet } from './graphs/unet.js';
import { buildVaeDecoder } from './graphs/vae-decoder.js';
import { buildManifest, type ManifestFile, type TestModelManifest } from './manifest.js';
import type { GraphBuilder } from './onnx-builder.js';
import { buildTokenizer } from './tokenizer.js';

/** Seed of the weights unless one is given. */
export const DEFAULT_SEED = 20261126;

/** `web/tests/.build/models` (git-ignored): where tests expect the generated models. */
export const DEFAULT_OUT_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../tests/.build/models');

/** Options of {@link generateTestModels}. */
export interface GenerateOptions {
  /** Folder that receives `test-tiny-sd/`. Default {@link DEFAULT_OUT_DIR}. */
  readonly outDir?: string;
  /** Weight seed. Default {@link DEFAULT_SEED}. */
  readonly seed?: number;
}

/** What {@link generateTestModels} wrote. */
export interface GeneratedTestModel {
  /** `<outDir>/test-tiny-sd`. */
  readonly modelDir: string;
  /** `<modelDir>/manifest.json`. */
  readonly manifestPath: string;
  readonly manifest: TestModelManifest;
  /** Absolute path of each graph: `graphs.fp16.unet` etc. */
  readonly graphs: Readonly<Record<Precision, Readonly<Record<GraphRole, string>>>>;
  /** `<modelDir>/tokenizer`: `vocab.json`, `merges.txt`, `special_tokens_map.json`, `tokenizer_config.json`. */
  readonly tokenizerDir: string;
  /** `<modelDir>/tiny_decoder/model.onnx`: the TAESD-shaped tiny decoder (fp32, listed in every variant). */
  readonly tinyDecoder: string;
  /** `<modelDir>/tiny_encoder/model.onnx`: the TAESD-shaped tiny encoder (fp32, listed in every variant). */
  readonly tinyEncoder: string;
  /** Trainable parameters per graph. */
  readonly parameters: Readonly<Record<GraphRole | 'tiny_decoder' | 'tiny_encoder', number>>;
  /** Wall time of the generation in milliseconds. */
  readonly elapsedMs: number;
}

const BUILDERS: Record<GraphRole, (precision: Precision, seed: number, vocabSize: number) => GraphBuilder> = {
  text_encoder: buildTextEncoder,
  unet: (precision, seed) => buildUnet(precision, seed),
  vae_decoder: (precision, seed) => buildVaeDecoder(precision, seed),
};

/** Writes a file through a temporary name and a rename, so readers never see half a file. */
function writeAtomic(path: string, data: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function fileEntry(role: ManifestFile['role'], path: string, data: Uint8Array): ManifestFile {
  return { role, path, bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * Generates the tiny SD-Turbo-shaped test model into `<outDir>/test-tiny-sd`
 * (takes well under a second). Safe to call from several processes at once:
 * every file is replaced atomically with identical bytes.
 */
export function generateTestModels(options: GenerateOptions = {}): GeneratedTestModel {
  const started = performance.now();
  const seed = options.seed ?? DEFAULT_SEED;
  const modelDir = join(options.outDir ?? DEFAULT_OUT_DIR, TEST_MODEL_ID);
  const tokenizer = buildTokenizer();
  const encoder = new TextEncoder();
  const tokenizerFiles: ManifestFile[] = [];
  for (const [name, content] of Object.entries(tokenizer.files)) {
    const data = encoder.encode(content);
    writeAtomic(join(modelDir, 'tokenizer', name), data);
    tokenizerFiles.push(fileEntry('tokenizer', `tokenizer/${name}`, data));
  }

  const graphFiles = { fp32: [] as ManifestFile[], fp16: [] as ManifestFile[] };
  const largestWeightBytes = { fp32: 0, fp16: 0 };
  const graphs = { fp32: {}, fp16: {} } as Record<Precision, Record<GraphRole, string>>;
  const parameters = {} as Record<GraphRole | 'tiny_decoder' | 'tiny_encoder', number>;
  for (const precision of PRECISIONS) {
    for (const role of GRAPH_ROLES) {
      const builder = BUILDERS[role](precision, seed, tokenizer.vocabSize);
      const data = builder.toBytes(`hybridgen ${TEST_MODEL_ID} ${role} (${precision} weights, seed ${seed}): random weights, production I/O contract`);
      const path = `${precision}/${role}/model.onnx`;
      writeAtomic(join(modelDir, path), data);
      graphFiles[precision].push(fileEntry(role, path, data));
      graphs[precision][role] = join(modelDir, path);
      largestWeightBytes[precision] = Math.max(largestWeightBytes[precision], builder.largestInitializerBytes);
      parameters[role] = builder.parameters;
    }
  }

  const tiny = buildTinyDecoder(seed);
  const tinyData = tiny.toBytes(
    `hybridgen ${TEST_MODEL_ID} tiny_decoder (TAESD architecture, width 8, fp32, seed ${seed}): random weights, the converter's I/O contract`,
  );
  const tinyPath = 'tiny_decoder/model.onnx';
  writeAtomic(join(modelDir, tinyPath), tinyData);
  parameters.tiny_decoder = tiny.parameters;

  const tinyEncoder = buildTinyEncoder(seed);
  const encoderData = tinyEncoder.toBytes(
    `hybridgen ${TEST_MODEL_ID} tiny_encoder (TAESD architecture, width 8, fp32, seed ${seed}): random weights, the converter's I/O contract`,
  );
  const encoderPath = 'tiny_encoder/model.onnx';
  writeAtomic(join(modelDir, encoderPath), encoderData);
  parameters.tiny_encoder = tinyEncoder.parameters;

  const manifest = buildManifest({
    tokenizerFiles,
    graphFiles,
    tinyDecoderFile: fileEntry('tiny_decoder', tinyPath, tinyData),
    tinyEncoderFile: fileEntry('tiny_encoder', encoderPath, encoderData),
    largestWeightBytes,
  });
  const manifestPath = join(modelDir, 'manifest.json');
  writeAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  return {
    modelDir,
    manifestPath,
    manifest,
    graphs,
    tokenizerDir: join(modelDir, 'tokenizer'),
    tinyDecoder: join(modelDir, tinyPath),
    tinyEncoder: join(modelDir, encoderPath),
    parameters,
    elapsedMs: performance.now() - started,
  };
}
