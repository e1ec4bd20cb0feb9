/**
 * The CLIP tokenizer, built from the model's own `tokenizer.json` (and
 * optional `tokenizer_config.json`) with `@huggingface/tokenizers`. Prompts
 * become exactly `maxLength` ids: start token, text, end token, then the pad
 * id (0 for SD 2.x); longer prompts are cut, keeping the end token last.
 */

import { Tokenizer } from '@huggingface/tokenizers';
import { ModelFormatError } from './errors.js';

/** Options of {@link ClipTokenizer}. */
export interface ClipTokenizerOptions {
  /** Ids per prompt (CLIP: 77). */
  readonly maxLength: number;
  /** Id that fills the tail (SD 2.x: 0). */
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

function parseJson(bytes: Uint8Array | string, what: string): object {
  try {
    const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
    return value;
  } catch (cause) {
    throw new ModelFormatError(`${what} is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** A CLIP tokenizer padded/truncated to a fixed length. */
export class ClipTokenizer {
  private readonly tokenizer: Tokenizer;

  constructor(
    tokenizerJson: Uint8Array | string | object,
    readonly options: ClipTokenizerOptions,
    tokenizerConfig: Uint8Array | string | object = {},
  ) {
    const json = tokenizerJson instanceof Uint8Array || typeof tokenizerJson === 'string' ? parseJson(tokenizerJson, 'tokenizer.json') : tokenizerJson;
    const config =
      tokenizerConfig instanceof Uint8Array || typeof tokenizerConfig === 'string' ? parseJson(tokenizerConfig, 'tokenizer_config.json') : tokenizerConfig;
    try {
      this.tokenizer = new Tokenizer(json, config);
    } catch (cause) {
      throw new ModelFormatError(`tokenizer.json could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }

  /** Tokenizes `prompt` to exactly `maxLength` ids. */
  encode(prompt: string): TokenizedPrompt {
    const { maxLength, padTokenId } = this.options;
    const raw = this.tokenizer.encode(prompt, { add_special_tokens: true }).ids;
    let ids = raw;
    const truncated = raw.length > maxLength;
    if (truncated) {
      const end = raw[raw.length - 1] ?? padTokenId;
      ids = [...raw.slice(0, maxLength - 1), end];
    }
    const out = new Int32Array(maxLength).fill(padTokenId);
    out.set(ids);
    return { ids: out, length: ids.length, truncated };
  }
}
