/**
 * CLIP's prompt normalisation, as the reference tokenizer (openai/CLIP
 * `simple_tokenizer.py`, the same as OpenCLIP's that SD 2.x was trained with)
 * does it: `ftfy.fix_text`, `html.unescape` twice, strip, whitespace collapse,
 * strip, lower case.
 *
 * `ftfy.fix_text` (6.3) is reproduced except for its mojibake repair
 * (`fix_encoding`: re-decoding text that was decoded with the wrong codec,
 * such as `cafÃ©` -> `café`), a heuristic over large tables that well-formed
 * input never triggers. On well-formed text fix_text is not only NFC: it also
 * straightens curly quotes (so `don’t` splits like `don't`), splits Latin
 * ligatures (`ﬁ` -> `fi`), narrows fullwidth forms (`ＡＢＣ` -> `ABC`, U+3000 ->
 * space), reads C1 controls as windows-1252, drops control characters and
 * terminal escapes, unescapes HTML references that end in `;` (only while no
 * line so far contains `<`), and repeats until nothing changes.
 */

import { ftfyUnescapeHtml, unescapeHtml, windows1252C1 } from './html-unescape.js';

/** Python's `\s` in the `regex` module (Unicode White_Space; JavaScript's `\s` differs on U+0085 and U+FEFF). */
export const PYTHON_WHITESPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]+`, 'gu');
/** What Python's `str.strip()` removes: White_Space and U+001C-U+001F. */
const STRIP = new RegExp(`^[${PYTHON_WHITESPACE}\\x1c-\\x1f]+|[${PYTHON_WHITESPACE}\\x1c-\\x1f]+$`, 'gu');

const LIGATURES: Readonly<Record<string, string>> = {
  Ĳ: 'IJ',
  ĳ: 'ij',
  ŉ: 'ʼn',
  Ǳ: 'DZ',
  ǲ: 'Dz',
  ǳ: 'dz',
  Ǆ: 'DŽ',
  ǅ: 'Dž',
  ǆ: 'dž',
  Ǉ: 'LJ',
  ǈ: 'Lj',
  ǉ: 'lj',
  Ǌ: 'NJ',
  ǋ: 'Nj',
  ǌ: 'nj',
  ﬀ: 'ff',
  ﬁ: 'fi',
  ﬂ: 'fl',
  ﬃ: 'ffi',
  ﬄ: 'ffl',
  ﬅ: 'ſt',
  ﬆ: 'st',
};
const LIGATURE = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'gu');
const C1 = new Map(windows1252C1().map(([code, char]) => [String.fromCharCode(code), char]));
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the control characters ftfy removes
const CONTROL_CHARS = /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc]/gu;
// biome-ignore lint/suspicious/noControlCharactersInRegex: an ANSI escape starts with ESC
const TERMINAL_ESCAPE = /\x1b\[[\d;]*[a-zA-Z]/g;

function fixCharacterWidth(text: string): string {
  return text.replace(/[\u3000\uff01-\uffef]/gu, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')));
}

function fixLineBreaks(text: string): string {
  return text.replace(/\r\n|[\r\u2028\u2029\u0085]/g, '\n');
}

/** One pass of ftfy's fixers in its order (no `fix_encoding`). */
function fixOnce(text: string, unescapeEntities: boolean): string {
  let t = unescapeEntities ? ftfyUnescapeHtml(text) : text;
  t = t.replace(/[\x80-\x9f]/g, (c) => C1.get(c) ?? c);
  t = t.replace(LIGATURE, (c) => LIGATURES[c] ?? c);
  t = fixCharacterWidth(t);
  t = t.replace(/[\u02bc\u2018-\u201b]/g, "'").replace(/[\u201c-\u201f]/g, '"');
  t = fixLineBreaks(t);
  t = t.replace(/\p{Cs}/gu, '\ufffd'); // lone surrogates
  t = t.replace(TERMINAL_ESCAPE, '').replace(CONTROL_CHARS, '');
  return t.normalize('NFC');
}

/** `ftfy.fix_text` without mojibake repair: line by line, each line fixed until it stops changing. */
export function fixText(text: string): string {
  let unescapeEntities = true;
  let out = '';
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline + 1;
    let segment = text.slice(start, end);
    // As ftfy: once a line holds `<` (it may be HTML), no later line is unescaped either.
    if (segment.includes('<')) unescapeEntities = false;
    for (let previous = ''; previous !== segment; ) {
      previous = segment;
      segment = fixOnce(segment, unescapeEntities);
    }
    out += segment;
    start = end;
  }
  return out;
}

/** The text CLIP's BPE sees: cleaned, whitespace collapsed to single spaces, trimmed, lower case. */
export function normalizeClipText(text: string): string {
  const cleaned = unescapeHtml(unescapeHtml(fixText(text))).replace(STRIP, '');
  return cleaned.replace(WHITESPACE_RUN, ' ').replace(STRIP, '').toLowerCase();
}
