/**
 * Writes the Hugging Face `CLIPTokenizer` files for a merge list, with the
 * vocabulary CLIP derives from its merges: the 256 byte characters, the same
 * with `</w>`, one token per merge, then the start and end tokens (the order
 * of openai/CLIP's vocabulary, so real merges give the real ids). The test
 * model generator and the tokenizer's tests use it; the product only reads.
 */

import { bytesToUnicode, CLIP_SPECIAL_TOKENS, END_OF_WORD } from './clip-bpe.js';
import { TOKENIZER_FILE_NAMES } from './tokenizer-files.js';

/** What {@link clipTokenizerFiles} returns: file name -> text, and the ids it gave. */
export interface ClipTokenizerLayout {
  readonly files: Readonly<Record<(typeof TOKENIZER_FILE_NAMES)[keyof typeof TOKENIZER_FILE_NAMES], string>>;
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
}

function addedToken(content: string): Record<string, unknown> {
  return { content, lstrip: false, normalized: true, rstrip: false, single_word: false };
}

/** The four files of the layout for `merges` (in rank order), pad token `!` (id 0), as SD 2.x ships them. */
export function clipTokenizerFiles(merges: readonly (readonly [string, string])[], options: { modelMaxLength?: number } = {}): ClipTokenizerLayout {
  const vocab = new Map<string, number>();
  const add = (token: string): void => {
    if (!vocab.has(token)) vocab.set(token, vocab.size);
  };
  const { alphabetOrder } = bytesToUnicode();
  for (const c of alphabetOrder) add(c);
  for (const c of alphabetOrder) add(c + END_OF_WORD);
  for (const [left, right] of merges) add(left + right);
  add(CLIP_SPECIAL_TOKENS.bos);
  add(CLIP_SPECIAL_TOKENS.eos);
  const specialTokensMap = {
    bos_token: addedToken(CLIP_SPECIAL_TOKENS.bos),
    eos_token: addedToken(CLIP_SPECIAL_TOKENS.eos),
    pad_token: '!',
    unk_token: addedToken(CLIP_SPECIAL_TOKENS.eos),
  };
  const tokenizerConfig = {
    add_prefix_space: false,
    bos_token: { __type: 'AddedToken', ...addedToken(CLIP_SPECIAL_TOKENS.bos) },
    do_lower_case: true,
    eos_token: { __type: 'AddedToken', ...addedToken(CLIP_SPECIAL_TOKENS.eos) },
    errors: 'replace',
    model_max_length: options.modelMaxLength ?? 77,
    pad_token: '!',
    tokenizer_class: 'CLIPTokenizer',
    unk_token: { __type: 'AddedToken', ...addedToken(CLIP_SPECIAL_TOKENS.eos) },
  };
  return {
    files: {
      [TOKENIZER_FILE_NAMES.vocab]: JSON.stringify(Object.fromEntries(vocab)),
      [TOKENIZER_FILE_NAMES.merges]: `#version: 0.2\n${merges.map(([l, r]) => `${l} ${r}\n`).join('')}`,
      [TOKENIZER_FILE_NAMES.specialTokensMap]: `${JSON.stringify(specialTokensMap, null, 2)}\n`,
      [TOKENIZER_FILE_NAMES.tokenizerConfig]: `${JSON.stringify(tokenizerConfig, null, 2)}\n`,
    } as ClipTokenizerLayout['files'],
    vocabSize: vocab.size,
    bosTokenId: vocab.get(CLIP_SPECIAL_TOKENS.bos) as number,
    eosTokenId: vocab.get(CLIP_SPECIAL_TOKENS.eos) as number,
  };
}
