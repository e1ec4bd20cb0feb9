/**
 * A tiny tokenizer in the real layout (vocab.json, merges.txt,
 * special_tokens_map.json, tokenizer_config.json) for unit tests: CLIP's
 * byte alphabet and four merges, so `cat` and `dog` are one token each.
 */

import { clipTokenizerFiles } from './tokenizer-layout.js';

const layout = clipTokenizerFiles([
  ['c', 'a'],
  ['ca', 't</w>'],
  ['d', 'o'],
  ['do', 'g</w>'],
]);
const vocab = JSON.parse(layout.files['vocab.json']) as Record<string, number>;

/** The fixture's files, as {@link ClipTokenizer} takes them. */
export const fixtureTokenizerFiles = {
  vocab: layout.files['vocab.json'],
  merges: layout.files['merges.txt'],
  specialTokensMap: layout.files['special_tokens_map.json'],
  tokenizerConfig: layout.files['tokenizer_config.json'],
} as const;

/** Ids of some of the fixture's tokens. */
export const FIXTURE_IDS = {
  bos: layout.bosTokenId,
  eos: layout.eosTokenId,
  a: vocab['a</w>'] as number,
  cat: vocab['cat</w>'] as number,
  dog: vocab['dog</w>'] as number,
  pad: vocab['!'] as number,
};
