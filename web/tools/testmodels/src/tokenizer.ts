/**
 * The test model's tokenizer: a small CLIP byte-level BPE vocabulary in the
 * layout SD-Turbo publishes (`tokenizer/vocab.json`, `merges.txt`,
 * `special_tokens_map.json`, `tokenizer_config.json`; pad `!` = id 0),
 * written by core's `clipTokenizerFiles` from merges learned
 * deterministically from {@link WORDS}: the 256 byte characters, the same
 * with `</w>`, one token per merge, then `<|startoftext|>`/`<|endoftext|>`.
 */
import { type ClipTokenizerLayout, clipTokenizerFiles } from '@hybridgen/core/tokenizer';
import { WORDS } from './words.js';

/** BPE merges learned at most. */
export const MAX_MERGES = 400;

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

/** Builds the tokenizer files (file name -> text) and the ids they give. */
export function buildTokenizer(): ClipTokenizerLayout {
  return clipTokenizerFiles(learnMerges(WORDS, MAX_MERGES));
}
