/**
 * A tiny CLIP-shaped `tokenizer.json` for unit tests: the same normalizer,
 * pre-tokenizer, BPE model with `</w>` suffix and start/end post-processor as
 * openai/clip-vit-large-patch14's, with a 40-token vocabulary.
 */

const letters = 'abcdefghijklmnopqrstuvwxyz'.split('');
const vocab: Record<string, number> = { '!': 0 };
for (const c of letters) vocab[c] = Object.keys(vocab).length;
for (const c of letters) vocab[`${c}</w>`] = Object.keys(vocab).length;
const merges = ['c a', 'ca t</w>', 'd o', 'do g</w>'];
for (const m of merges) vocab[m.replace(' ', '')] = Object.keys(vocab).length;
vocab['<|startoftext|>'] = Object.keys(vocab).length;
vocab['<|endoftext|>'] = Object.keys(vocab).length;

/** Ids of the fixture's special tokens. */
export const FIXTURE_IDS = {
  bos: vocab['<|startoftext|>'] as number,
  eos: vocab['<|endoftext|>'] as number,
  a: vocab['a</w>'] as number,
  cat: vocab['cat</w>'] as number,
  dog: vocab['dog</w>'] as number,
};

/** The fixture tokenizer.json, as an object. */
export const fixtureTokenizerJson = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    { id: FIXTURE_IDS.bos, content: '<|startoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
    { id: FIXTURE_IDS.eos, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
  ],
  normalizer: {
    type: 'Sequence',
    normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }, { type: 'Lowercase' }],
  },
  pre_tokenizer: {
    type: 'Sequence',
    pretokenizers: [
      {
        type: 'Split',
        pattern: { Regex: "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+" },
        behavior: 'Removed',
        invert: true,
      },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    ],
  },
  post_processor: {
    type: 'RobertaProcessing',
    sep: ['<|endoftext|>', FIXTURE_IDS.eos],
    cls: ['<|startoftext|>', FIXTURE_IDS.bos],
    trim_offsets: false,
    add_prefix_space: false,
  },
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: '<|endoftext|>',
    continuing_subword_prefix: '',
    end_of_word_suffix: '</w>',
    fuse_unk: false,
    byte_fallback: false,
    vocab,
    merges,
  },
};
