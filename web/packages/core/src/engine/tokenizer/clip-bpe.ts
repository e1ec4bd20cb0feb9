/**
 * CLIP's byte-level BPE over normalised text: the pre-tokenizer regex, the
 * bytes -> printable characters map (`bytes_to_unicode`), and merges by rank
 * with `</w>` on the last symbol of a word. Results are cached per word.
 */

import { ModelFormatError } from '../errors.js';
import { PYTHON_WHITESPACE } from './clip-text.js';

/** The end-of-word suffix CLIP's vocabulary puts on a word's last symbol. */
export const END_OF_WORD = '</w>';

/** CLIP's start and end tokens. */
export const CLIP_SPECIAL_TOKENS = { bos: '<|startoftext|>', eos: '<|endoftext|>' } as const;

/** GPT-2/CLIP `bytes_to_unicode`: the printable stand-in character of every byte (index = byte), in vocabulary order by `alphabetOrder`. */
export function bytesToUnicode(): { readonly byByte: readonly string[]; readonly alphabetOrder: readonly string[] } {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const byByte: string[] = new Array(256);
  const alphabetOrder: string[] = [];
  for (const b of printable) byByte[b] = String.fromCodePoint(b);
  let extra = 0;
  for (let b = 0; b < 256; b++) if (byByte[b] === undefined) byByte[b] = String.fromCodePoint(256 + extra++);
  for (const b of printable) alphabetOrder.push(byByte[b] as string);
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) alphabetOrder.push(byByte[b] as string);
  return { byByte, alphabetOrder };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** CLIP's pre-tokenizer: the special tokens, English contractions, letter runs, single digits, other symbol runs. */
export function clipPreTokenizer(specialTokens: readonly string[]): RegExp {
  const specials = specialTokens.map(escapeRegExp).join('|');
  return new RegExp(`${specials}|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^${PYTHON_WHITESPACE}\\p{L}\\p{N}]+`, 'giu');
}

/** Words cached at most; the cache starts over past this (a prompt has at most a few hundred). */
const CACHE_LIMIT = 20_000;

/** BPE with CLIP's vocabulary and merge ranks. */
export class ClipBpe {
  private readonly ranks = new Map<string, number>();
  /** Special token -> its id, kept across cache resets. */
  private readonly specials = new Map<string, readonly number[]>();
  private readonly cache = new Map<string, readonly number[]>();
  private readonly byteChars = bytesToUnicode().byByte;
  private readonly encoder = new TextEncoder();

  /**
   * @param vocab token -> id.
   * @param merges pairs in rank order.
   * @param specialTokens tokens the text may spell out (`<|startoftext|>`), mapped straight to their ids.
   * @throws ModelFormatError when a byte, a byte + `</w>`, a merge result or a special token has no id.
   */
  constructor(
    private readonly vocab: ReadonlyMap<string, number>,
    merges: readonly (readonly [string, string])[],
    specialTokens: readonly string[],
  ) {
    for (const c of this.byteChars) {
      if (!vocab.has(c) || !vocab.has(c + END_OF_WORD))
        throw new ModelFormatError(`vocab.json lacks the byte token ${JSON.stringify(c)} or ${JSON.stringify(c + END_OF_WORD)}`);
    }
    merges.forEach(([left, right], rank) => {
      if (!vocab.has(left + right))
        throw new ModelFormatError(`merges.txt merge ${rank + 1} (${left} ${right}) makes ${JSON.stringify(left + right)}, which vocab.json lacks`);
      const key = `${left} ${right}`;
      this.ranks.set(key, rank); // a repeated pair keeps its last rank, as the reference's dict does
    });
    for (const token of specialTokens) {
      const id = vocab.get(token);
      if (id === undefined) throw new ModelFormatError(`vocab.json lacks the special token ${token}`);
      this.specials.set(token, [id]);
      this.cache.set(token, [id]);
    }
  }

  /** Ids of one pre-tokenized word (a special token, or text whose bytes become symbols). */
  encodeWord(word: string): readonly number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const ids = this.merge(word).map((symbol) => this.vocab.get(symbol) as number);
    if (this.cache.size >= CACHE_LIMIT) {
      this.cache.clear();
      for (const [token, id] of this.specials) this.cache.set(token, id);
    }
    this.cache.set(word, ids);
    return ids;
  }

  /** The word's bytes as symbols, `</w>` on the last, merged lowest rank first (every occurrence, left to right). */
  private merge(word: string): string[] {
    let symbols = Array.from(this.encoder.encode(word), (b) => this.byteChars[b] as string);
    symbols[symbols.length - 1] += END_OF_WORD;
    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Number.POSITIVE_INFINITY;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      const left = symbols[best] as string;
      const right = symbols[best + 1] as string;
      const next: string[] = symbols.slice(0, best);
      for (let i = best; i < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) {
          next.push(left + right);
          i++;
        } else next.push(symbols[i] as string);
      }
      symbols = next;
    }
    return symbols;
  }
}
