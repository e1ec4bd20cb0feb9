/**
 * The CLIP tokenizer of SD 2.x / SD-Turbo, built from the model's own
 * `vocab.json` + `merges.txt` (Hugging Face `CLIPTokenizer` layout; the start
 * and end tokens named by `special_tokens_map.json` / `tokenizer_config.json`).
 * It gives the ids of the reference tokenizer (openai/CLIP
 * `simple_tokenizer.py`; see `clip-text.ts` for the one part of its text
 * cleaning left out) and lays them out as diffusers does: start token, text,
 * end token, then the pad id, exactly `maxLength` ids; a longer prompt is cut,
 * keeping the end token last.
 */

import { ModelFormatError } from '../errors.js';
import { ClipBpe, clipPreTokenizer } from './clip-bpe.js';
import { normalizeClipText } from './clip-text.js';
import { type ClipTokenizerFiles, parseTokenizerFiles } from './tokenizer-files.js';

export { CLIP_SPECIAL_TOKENS } from './clip-bpe.js';
export { type ClipTokenizerFiles, TOKENIZER_FILE_NAMES, type TokenizerFileContent } from './tokenizer-files.js';
export { type ClipTokenizerLayout, clipTokenizerFiles } from './tokenizer-layout.js';

/** Options of {@link ClipTokenizer}: both from the manifest's pipeline config. */
export interface ClipTokenizerOptions {
  /** Ids per prompt (CLIP: 77). */
  readonly maxLength: number;
  /** Id that fills the tail (SD 2.x: 0, the token `!`). */
  readonly padTokenId: number;
}

/** A prompt as the text encoder takes it. */
export interface TokenizedPrompt {
  /** Exactly `maxLength` ids. */
  readonly ids: Int32Array;
  /** How many ids are real tokens (with start and end); the rest is padding. */
  readonly length: number;
  /** True when the prompt was longer than `maxLength` and was cut. */
  readonly truncated: boolean;
}

/** A CLIP tokenizer padded/truncated to a fixed length. */
export class ClipTokenizer {
  /** Id of the start-of-text token, from the files. */
  readonly bosTokenId: number;
  /** Id of the end-of-text token, from the files. */
  readonly eosTokenId: number;
  private readonly bpe: ClipBpe;
  private readonly pattern: RegExp;

  /**
   * Builds the tokenizer from its files, once per load (CLIP's 49,408 tokens: see `npm run bench:tokenizer`).
   *
   * @throws ModelFormatError when a file is not what the layout says, when the
   *   merges make a token the vocabulary lacks, or when the options cannot hold
   *   a start and an end token.
   */
  constructor(
    files: ClipTokenizerFiles,
    readonly options: ClipTokenizerOptions,
  ) {
    if (!Number.isInteger(options.maxLength) || options.maxLength < 2)
      throw new ModelFormatError(`maxLength must be an integer of at least 2, got ${options.maxLength}`);
    const parsed = parseTokenizerFiles(files);
    const specials = [parsed.bosToken, parsed.eosToken];
    this.bpe = new ClipBpe(parsed.vocab, parsed.merges, specials);
    this.bosTokenId = parsed.vocab.get(parsed.bosToken) as number;
    this.eosTokenId = parsed.vocab.get(parsed.eosToken) as number;
    this.pattern = clipPreTokenizer(specials);
  }

  /** The reference tokenizer's ids for `prompt`: no start or end token, no length limit. */
  encodeText(prompt: string): number[] {
    const ids: number[] = [];
    for (const match of normalizeClipText(prompt).matchAll(this.pattern)) {
      for (const id of this.bpe.encodeWord(match[0])) ids.push(id);
    }
    return ids;
  }

  /** Tokenizes `prompt` to exactly `maxLength` ids: start, text (cut to fit), end, padding. */
  encode(prompt: string): TokenizedPrompt {
    const { maxLength, padTokenId } = this.options;
    const text = this.encodeText(prompt);
    const truncated = text.length + 2 > maxLength;
    const kept = truncated ? text.slice(0, maxLength - 2) : text;
    const ids = new Int32Array(maxLength).fill(padTokenId);
    ids[0] = this.bosTokenId;
    ids.set(kept, 1);
    ids[kept.length + 1] = this.eosTokenId;
    return { ids, length: kept.length + 2, truncated };
  }
}
