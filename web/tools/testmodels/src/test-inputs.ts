/**
 * Deterministic inputs for tests of the test model: tokenized prompts padded
 * to 77 and seeded Gaussian latents.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { LATENT_CHANNELS, PAD_TOKEN_ID, TEXT_MAX_LENGTH } from './contract.js';
import { Rng } from './prng.js';
import type { FloatTensor } from './reference.js';

/** Loads the generated tokenizer with `@huggingface/tokenizers`. */
export function loadTokenizer(paths: { readonly json: string; readonly config: string }): Tokenizer {
  return new Tokenizer(JSON.parse(readFileSync(paths.json, 'utf8')), JSON.parse(readFileSync(paths.config, 'utf8')));
}

/** Encodes a prompt the SD 2.x way: BOS, tokens, EOS, truncated to 77 (EOS kept) and padded with id 0. */
export function encodePrompt(tokenizer: Tokenizer, prompt: string): Int32Array {
  const ids = tokenizer.encode(prompt).ids;
  const out = new Int32Array(TEXT_MAX_LENGTH).fill(PAD_TOKEN_ID);
  if (ids.length > TEXT_MAX_LENGTH) {
    out.set(ids.slice(0, TEXT_MAX_LENGTH - 1));
    out[TEXT_MAX_LENGTH - 1] = ids[ids.length - 1] ?? PAD_TOKEN_ID;
  } else out.set(ids);
  return out;
}

/** Seeded N(0, std^2) latents of shape [batch, 4, height, width]. */
export function gaussianLatents(seed: number, options: { batch?: number; height: number; width: number; std?: number }): FloatTensor {
  const dims = [options.batch ?? 1, LATENT_CHANNELS, options.height, options.width];
  const count = dims.reduce((a, b) => a * b, 1);
  return { data: new Rng(seed).normals(count, options.std ?? 1), dims };
}
