/**
 * A small CLIP-style byte-level BPE tokenizer in Hugging Face `tokenizer.json`
 * form (the layout of openai/clip-vit and SD 2.x tokenizers): NFC, whitespace
 * collapse and lowercasing, CLIP's split regex, byte-to-unicode mapping,
 * `</w>` end-of-word suffix, `<|startoftext|>`/`<|endoftext|>` specials added
 * by a RobertaProcessing post-processor. Merges are learned deterministically
 * from {@link WORDS}.
 */
import { WORDS } from './words.js';

/** Tokenizer special tokens (same strings as CLIP's). */
export const BOS_TOKEN = '<|startoftext|>';
/** End of text; also the unknown token, as in CLIP. */
export const EOS_TOKEN = '<|endoftext|>';
/** BPE merges learned at most. */
export const MAX_MERGES = 400;

/** What {@link buildTokenizer} returns. */
export interface TokenizerFiles {
  /** `tokenizer.json` contents (a JSON-serializable object). */
  readonly tokenizerJson: Record<string, unknown>;
  /** `tokenizer_config.json` contents. */
  readonly tokenizerConfig: Record<string, unknown>;
  readonly vocabSize: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
}

/** GPT-2/CLIP `bytes_to_unicode`: the printable stand-in character for every byte, in vocabulary order. */
export function byteAlphabet(): string[] {
  const bytes: number[] = [];
  for (let b = 33; b <= 126; b++) bytes.push(b);
  for (let b = 161; b <= 172; b++) bytes.push(b);
  for (let b = 174; b <= 255; b++) bytes.push(b);
  const chars = bytes.map((b) => String.fromCodePoint(b));
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      chars.push(String.fromCodePoint(256 + extra++));
    }
  }
  return chars;
}

/** Learns BPE merges over words (weights fall with rank, ties broken by the pair's text). */
export function learnMerges(words: readonly string[], maxMerges: number): [string, string][] {
  const corpus = words.map((word, rank) => {
    const chars = [...word];
    const last = chars.length - 1;
    return { symbols: chars.map((c, i) => (i === last ? `${c}</w>` : c)), weight: Math.max(1, Math.round(64 / Math.sqrt(rank + 1))) };
  });
  const merges: [string, string][] = [];
  while (merges.length < maxMerges) {
    const counts = new Map<string, number>();
    for (const { symbols, weight } of corpus) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + weight);
      }
    }
    let best: string | null = null;
    let bestCount = 0;
    for (const [key, count] of counts) {
      if (count > bestCount || (count === bestCount && best !== null && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === null) break;
    const [left = '', right = ''] = best.split(' ');
    merges.push([left, right]);
    for (const entry of corpus) {
      const out: string[] = [];
      for (let i = 0; i < entry.symbols.length; i++) {
        if (entry.symbols[i] === left && entry.symbols[i + 1] === right) {
          out.push(left + right);
          i++;
        } else out.push(entry.symbols[i] ?? '');
      }
      entry.symbols = out;
    }
  }
  return merges;
}

/** Builds the tokenizer files: vocab = 256 bytes, 256 bytes + `</w>`, one entry per merge, then the two specials. */
export function buildTokenizer(): TokenizerFiles {
  const alphabet = byteAlphabet();
  const merges = learnMerges(WORDS, MAX_MERGES);
  const vocab: Record<string, number> = {};
  const add = (token: string): void => {
    if (!(token in vocab)) vocab[token] = Object.keys(vocab).length;
  };
  for (const c of alphabet) add(c);
  for (const c of alphabet) add(`${c}</w>`);
  for (const [l, r] of merges) add(l + r);
  const bosTokenId = Object.keys(vocab).length;
  add(BOS_TOKEN);
  const eosTokenId = bosTokenId + 1;
  add(EOS_TOKEN);
  const special = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(bosTokenId, BOS_TOKEN), special(eosTokenId, EOS_TOKEN)],
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
    post_processor: { type: 'RobertaProcessing', sep: [EOS_TOKEN, eosTokenId], cls: [BOS_TOKEN, bosTokenId], trim_offsets: false, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: EOS_TOKEN,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([l, r]) => `${l} ${r}`),
    },
  };
  const tokenizerConfig = {
    add_prefix_space: false,
    bos_token: BOS_TOKEN,
    clean_up_tokenization_spaces: true,
    do_lower_case: true,
    eos_token: EOS_TOKEN,
    errors: 'replace',
    model_max_length: 77,
    pad_token: '!',
    tokenizer_class: 'CLIPTokenizer',
    unk_token: EOS_TOKEN,
  };
  return { tokenizerJson, tokenizerConfig, vocabSize: eosTokenId + 1, bosTokenId, eosTokenId };
}
