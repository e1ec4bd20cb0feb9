/**
 * `@hybridgen/testmodels`: generates the tiny SD-Turbo-shaped test model with
 * the production I/O contract. The onnxruntime-node reference runner is the
 * `@hybridgen/testmodels/reference` entry (kept separate so importing the
 * generator does not load native code).
 *
 * @packageDocumentation
 */
export * from './contract.js';
export { DEFAULT_OUT_DIR, DEFAULT_SEED, type GeneratedTestModel, type GenerateOptions, generateTestModels } from './generate.js';
export type { ManifestFile, ManifestVariant, TestModelManifest } from './manifest.js';
export { gaussianLatents, loadTokenizer } from './test-inputs.js';
export { buildTokenizer, learnMerges, MAX_MERGES } from './tokenizer.js';
