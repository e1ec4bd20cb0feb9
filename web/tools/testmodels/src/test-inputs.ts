/**
 * Deterministic inputs for tests of the test model: the model's tokenizer
 * (the engine's, padded to 77) and seeded Gaussian latents.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClipTokenizer, TOKENIZER_FILE_NAMES } from '@hybridgen/core/tokenizer';
import { LATENT_CHANNELS, PAD_TOKEN_ID, TEXT_MAX_LENGTH } from './contract.js';
import { Rng } from './prng.js';
import type { FloatTensor } from './reference.js';

/** The engine's {@link ClipTokenizer} over the tokenizer files in `dir` (77 ids, pad 0), as the engine builds it. */
export function loadTokenizer(dir: string): ClipTokenizer {
  const read = (name: string): Uint8Array | undefined => (existsSync(join(dir, name)) ? readFileSync(join(dir, name)) : undefined);
  const files = {
    vocab: readFileSync(join(dir, TOKENIZER_FILE_NAMES.vocab)),
    merges: readFileSync(join(dir, TOKENIZER_FILE_NAMES.merges)),
    specialTokensMap: read(TOKENIZER_FILE_NAMES.specialTokensMap),
    tokenizerConfig: read(TOKENIZER_FILE_NAMES.tokenizerConfig),
  };
  return new ClipTokenizer(files, { maxLength: TEXT_MAX_LENGTH, padTokenId: PAD_TOKEN_ID });
}

/** Seeded N(0, std^2) latents of shape [batch, 4, height, width]. */
export function gaussianLatents(seed: number, options: { batch?: number; height: number; width: number; std?: number }): FloatTensor {
  const dims = [options.batch ?? 1, LATENT_CHANNELS, options.height, options.width];
  const count = dims.reduce((a, b) => a * b, 1);
  return { data: new Rng(seed).normals(count, options.std ?? 1), dims };
}
