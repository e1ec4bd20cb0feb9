/**
 * The two HTML unescapers of CLIP's text cleaning: Python's `html.unescape`
 * (which CLIP's `basic_clean` applies twice) and ftfy's stricter
 * `unescape_html` (part of `ftfy.fix_text`). Named references come from
 * {@link HTML_ENTITIES}, a subset of HTML5's names (see that module).
 */

import { HTML_ENTITIES, LEGACY_HTML_ENTITIES } from './html-entity-table.js';

/** Numeric references that HTML5 maps elsewhere (NUL, CR, and the windows-1252 block). */
const REMAPPED_CHARREFS: ReadonlyMap<number, string> = new Map([
  [0x00, '\ufffd'],
  [0x0d, '\r'],
  ...windows1252C1().map(([code, char]) => [code, char] as [number, string]),
]);

/** The C1 control block 0x80-0x9f read as windows-1252 (undefined bytes keep their code point). */
export function windows1252C1(): [number, string][] {
  const table = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ';
  return [...table].map((char, i) => [0x80 + i, char]);
}

function isInvalidCodePoint(code: number): boolean {
  if ((code >= 0x01 && code <= 0x08) || code === 0x0b || (code >= 0x0e && code <= 0x1f) || (code >= 0x7f && code <= 0x9f)) return true;
  if (code >= 0xfdd0 && code <= 0xfdef) return true;
  return (code & 0xfffe) === 0xfffe; // U+xFFFE and U+xFFFF of every plane
}

function numericReference(digits: string, hex: boolean): string {
  const code = Number.parseInt(digits, hex ? 16 : 10);
  const remapped = REMAPPED_CHARREFS.get(code);
  if (remapped !== undefined) return remapped;
  if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff || !Number.isFinite(code)) return '\ufffd';
  if (isInvalidCodePoint(code)) return '';
  return String.fromCodePoint(code);
}

function namedReference(reference: string): string {
  const withSemicolon = reference.endsWith(';');
  const name = withSemicolon ? reference.slice(0, -1) : reference;
  const whole = HTML_ENTITIES.get(name);
  if (whole !== undefined && (withSemicolon || LEGACY_HTML_ENTITIES.has(name))) return whole;
  // The longest prefix that is a name of its own (only legacy names decode without a semicolon).
  for (let end = reference.length - 1; end > 1; end--) {
    const prefix = reference.slice(0, end);
    if (LEGACY_HTML_ENTITIES.has(prefix)) return (HTML_ENTITIES.get(prefix) ?? '') + reference.slice(end);
  }
  return `&${reference}`;
}

const CHARREF = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

/** Python's `html.unescape`: numeric and named character references, with HTML5's error handling. */
export function unescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHARREF, (_match, reference: string) => {
    if (!reference.startsWith('#')) return namedReference(reference);
    const hex = reference[1] === 'x' || reference[1] === 'X';
    const digits = reference.slice(hex ? 2 : 1).replace(/;$/, '');
    return numericReference(digits, hex);
  });
}

let ftfyEntities: Map<string, string> | null = null;

/** ftfy's table: every `&name;`, plus `&NAME;` in capitals for lower-case names whose capital spelling means nothing else. */
function ftfyEntityTable(): Map<string, string> {
  if (ftfyEntities) return ftfyEntities;
  const table = new Map<string, string>();
  for (const [name, char] of HTML_ENTITIES) {
    table.set(`&${name};`, char);
    if (name !== name.toLowerCase()) continue;
    const upper = `&${name.toUpperCase()};`;
    if (unescapeHtml(upper) === upper) table.set(upper, char.toUpperCase());
  }
  ftfyEntities = table;
  return table;
}

const FTFY_ENTITY = /&#?[0-9A-Za-z]{1,24};/g;

/** ftfy's `unescape_html`: only references that end in a semicolon, some also in capitals (`&EACUTE;`). */
export function ftfyUnescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  const table = ftfyEntityTable();
  return text.replace(FTFY_ENTITY, (reference) => {
    const named = table.get(reference);
    if (named !== undefined) return named;
    if (!reference.startsWith('&#')) return reference;
    const decoded = unescapeHtml(reference);
    return decoded.includes(';') ? reference : decoded;
  });
}
