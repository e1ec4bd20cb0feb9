/**
 * The tokenizer files of a model in the Hugging Face `CLIPTokenizer` layout
 * (what SD-Turbo publishes under `tokenizer/`): `vocab.json`, `merges.txt`,
 * and optionally `special_tokens_map.json` and `tokenizer_config.json`, which
 * name the start and end tokens. Reading from a variant and parsing; the
 * tokenizer (`tokenizer.ts`) uses it.
 */

import { ModelFormatError } from '../errors.js';
import type { ModelFileEntry } from '../model.js';
import { CLIP_SPECIAL_TOKENS } from './clip-bpe.js';

/** File names of the layout, as they appear under a variant's `tokenizer/` folder. */
export const TOKENIZER_FILE_NAMES = {
  vocab: 'vocab.json',
  merges: 'merges.txt',
  specialTokensMap: 'special_tokens_map.json',
  tokenizerConfig: 'tokenizer_config.json',
} as const;

/** A file's contents: bytes (UTF-8) or text. */
export type TokenizerFileContent = Uint8Array | string;

/** The tokenizer files of a variant. */
export interface ClipTokenizerFiles {
  /** `vocab.json`: token -> id. */
  readonly vocab: TokenizerFileContent;
  /** `merges.txt`: an optional `#version` line, then one merge `left right` per line, in rank order. */
  readonly merges: TokenizerFileContent;
  /** `special_tokens_map.json`: `bos_token`/`eos_token` (strings or `{ content }`); takes precedence over the config. */
  readonly specialTokensMap?: TokenizerFileContent | undefined;
  /** `tokenizer_config.json`: the same keys. */
  readonly tokenizerConfig?: TokenizerFileContent | undefined;
}

/** What {@link parseTokenizerFiles} reads. */
export interface ParsedTokenizerFiles {
  readonly vocab: ReadonlyMap<string, number>;
  readonly merges: readonly (readonly [string, string])[];
  readonly bosToken: string;
  readonly eosToken: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function text(content: TokenizerFileContent, name: string): string {
  if (typeof content === 'string') return content;
  try {
    return decoder.decode(content);
  } catch {
    throw new ModelFormatError(`${name} is not UTF-8 text`);
  }
}

function jsonObject(content: TokenizerFileContent, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text(content, name));
  } catch (cause) {
    if (cause instanceof ModelFormatError) throw cause;
    throw new ModelFormatError(`${name} is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ModelFormatError(`${name} is not a JSON object`);
  return value as Record<string, unknown>;
}

function parseVocab(content: TokenizerFileContent): Map<string, number> {
  const json = jsonObject(content, TOKENIZER_FILE_NAMES.vocab);
  const vocab = new Map<string, number>();
  for (const token in json) {
    const id = json[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new ModelFormatError(`${TOKENIZER_FILE_NAMES.vocab}: the id of ${JSON.stringify(token)} is ${JSON.stringify(id)}, not a non-negative integer`);
    }
    vocab.set(token, id);
  }
  if (vocab.size === 0) throw new ModelFormatError(`${TOKENIZER_FILE_NAMES.vocab} is empty`);
  return vocab;
}

function parseMerges(content: TokenizerFileContent): [string, string][] {
  const source = text(content, TOKENIZER_FILE_NAMES.merges);
  const merges: [string, string][] = [];
  let lineNumber = 0;
  for (let start = 0; start < source.length; ) {
    const newline = source.indexOf('\n', start);
    const end = newline < 0 ? source.length : newline;
    const line = source.charCodeAt(end - 1) === 13 ? source.slice(start, end - 1) : source.slice(start, end);
    start = end + 1;
    lineNumber++;
    if (line === '' || (lineNumber === 1 && line.startsWith('#version'))) continue;
    const space = line.indexOf(' ');
    if (space <= 0 || space === line.length - 1 || line.indexOf(' ', space + 1) >= 0) {
      throw new ModelFormatError(
        `${TOKENIZER_FILE_NAMES.merges} line ${lineNumber} is not two symbols separated by one space: ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    merges.push([line.slice(0, space), line.slice(space + 1)]);
  }
  return merges;
}

/** A special token as the JSON files write it: a string, or an AddedToken `{ content }`. */
function tokenName(file: Record<string, unknown> | null, key: string, name: string): string | undefined {
  const value = file?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  const content = typeof value === 'object' ? (value as { content?: unknown }).content : undefined;
  if (typeof content === 'string') return content;
  throw new ModelFormatError(`${name}: ${key} must be a string or an object with a string "content"`);
}

/** Reads and checks the files. Throws {@link ModelFormatError} naming the file and what is wrong. */
export function parseTokenizerFiles(files: ClipTokenizerFiles): ParsedTokenizerFiles {
  const map = files.specialTokensMap ? jsonObject(files.specialTokensMap, TOKENIZER_FILE_NAMES.specialTokensMap) : null;
  const config = files.tokenizerConfig ? jsonObject(files.tokenizerConfig, TOKENIZER_FILE_NAMES.tokenizerConfig) : null;
  const named = (key: string): string | undefined =>
    tokenName(map, key, TOKENIZER_FILE_NAMES.specialTokensMap) ?? tokenName(config, key, TOKENIZER_FILE_NAMES.tokenizerConfig);
  return {
    vocab: parseVocab(files.vocab),
    merges: parseMerges(files.merges),
    bosToken: named('bos_token') ?? CLIP_SPECIAL_TOKENS.bos,
    eosToken: named('eos_token') ?? CLIP_SPECIAL_TOKENS.eos,
  };
}

/** Reads the tokenizer files of a variant (role `tokenizer`, matched by file name) with `read`. */
export async function readVariantTokenizerFiles(
  files: readonly ModelFileEntry[],
  read: (entry: ModelFileEntry) => Promise<Uint8Array>,
): Promise<ClipTokenizerFiles> {
  const named = (name: string): ModelFileEntry | undefined => files.find((f) => f.role === 'tokenizer' && (f.path === name || f.path.endsWith(`/${name}`)));
  const vocab = named(TOKENIZER_FILE_NAMES.vocab);
  const merges = named(TOKENIZER_FILE_NAMES.merges);
  if (!vocab || !merges) {
    const missing = [vocab ? null : TOKENIZER_FILE_NAMES.vocab, merges ? null : TOKENIZER_FILE_NAMES.merges].filter(Boolean).join(' and ');
    throw new ModelFormatError(`the variant has no tokenizer ${missing} (role "tokenizer"): the CLIP tokenizer is built from vocab.json + merges.txt`);
  }
  const optional = async (name: string): Promise<Uint8Array | undefined> => {
    const entry = named(name);
    return entry ? read(entry) : undefined;
  };
  return {
    vocab: await read(vocab),
    merges: await read(merges),
    specialTokensMap: await optional(TOKENIZER_FILE_NAMES.specialTokensMap),
    tokenizerConfig: await optional(TOKENIZER_FILE_NAMES.tokenizerConfig),
  };
}
