import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.js';
import { normalizeClipText } from './clip-text.js';
import { FIXTURE_IDS, fixtureTokenizerFiles } from './tokenizer.fixture.js';
import { ClipTokenizer } from './tokenizer.js';
import { readVariantTokenizerFiles } from './tokenizer-files.js';

const options = { maxLength: 77, padTokenId: 0 };
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('ClipTokenizer', () => {
  it('wraps the prompt in start/end tokens and pads with the pad id to 77', () => {
    const t = new ClipTokenizer(fixtureTokenizerFiles, options);
    expect(FIXTURE_IDS.pad).toBe(0);
    const { ids, length, truncated } = t.encode('A  Cat dog');
    expect(ids.length).toBe(77);
    expect(Array.from(ids.slice(0, 5))).toEqual([FIXTURE_IDS.bos, FIXTURE_IDS.a, FIXTURE_IDS.cat, FIXTURE_IDS.dog, FIXTURE_IDS.eos]);
    expect(length).toBe(5);
    expect(truncated).toBe(false);
    expect(ids.slice(5).every((id) => id === 0)).toBe(true);
  });

  it('reads bytes as well as text, and pads with the id it is given', () => {
    const files = { vocab: utf8(fixtureTokenizerFiles.vocab), merges: utf8(fixtureTokenizerFiles.merges) };
    const { ids } = new ClipTokenizer(files, { maxLength: 8, padTokenId: FIXTURE_IDS.eos }).encode('cat');
    expect(Array.from(ids)).toEqual([FIXTURE_IDS.bos, FIXTURE_IDS.cat, ...Array(6).fill(FIXTURE_IDS.eos)]);
  });

  it('cuts long prompts to 77, keeping the end token last', () => {
    const t = new ClipTokenizer(fixtureTokenizerFiles, options);
    const { ids, length, truncated } = t.encode('cat '.repeat(100));
    expect(truncated).toBe(true);
    expect(length).toBe(77);
    expect(ids[0]).toBe(FIXTURE_IDS.bos);
    expect(ids[75]).toBe(FIXTURE_IDS.cat);
    expect(ids[76]).toBe(FIXTURE_IDS.eos);
  });

  it('an empty prompt is start, end and padding', () => {
    const { ids, length } = new ClipTokenizer(fixtureTokenizerFiles, options).encode('');
    expect(Array.from(ids.slice(0, 3))).toEqual([FIXTURE_IDS.bos, FIXTURE_IDS.eos, 0]);
    expect(length).toBe(2);
  });

  it('takes the start and end tokens the JSON files name', () => {
    const vocab = JSON.stringify({ ...JSON.parse(fixtureTokenizerFiles.vocab), '<s>': 600, '</s>': 601 });
    const specialTokensMap = JSON.stringify({ bos_token: '<s>', eos_token: { content: '</s>' } });
    const t = new ClipTokenizer({ ...fixtureTokenizerFiles, vocab, specialTokensMap }, options);
    expect([t.bosTokenId, t.eosTokenId]).toEqual([600, 601]);
    expect(Array.from(t.encode('cat').ids.slice(0, 3))).toEqual([600, FIXTURE_IDS.cat, 601]);
  });
});

describe('ClipTokenizer rejects malformed files with a ModelFormatError that names the file', () => {
  const cases: [string, Partial<typeof fixtureTokenizerFiles> | Record<string, unknown>, RegExp][] = [
    ['vocab.json not JSON', { vocab: '{not json' }, /vocab\.json is not valid JSON/],
    ['vocab.json an array', { vocab: '[1,2]' }, /vocab\.json is not a JSON object/],
    ['vocab.json with a bad id', { vocab: '{"a": "x"}' }, /vocab\.json: the id of "a" is "x"/],
    ['vocab.json without the byte alphabet', { vocab: '{"a": 0}' }, /vocab\.json lacks the byte token/],
    ['merges.txt with a malformed line', { merges: '#version: 0.2\nc a\nca  t</w>\n' }, /merges\.txt line 3 is not two symbols/],
    ['merges.txt making an unknown token', { merges: '#version: 0.2\nx y\n' }, /merges\.txt merge 1 \(x y\) makes "xy", which vocab\.json lacks/],
    ['a special token missing from vocab.json', { specialTokensMap: '{"bos_token": "<nope>"}' }, /vocab\.json lacks the special token <nope>/],
    [
      'a special token of the wrong type',
      { specialTokensMap: undefined, tokenizerConfig: '{"eos_token": 7}' },
      /tokenizer_config\.json: eos_token must be a string/,
    ],
    ['bytes that are not UTF-8', { merges: new Uint8Array([0xff, 0xfe]) }, /merges\.txt is not UTF-8 text/],
  ];
  it.each(cases)('%s', (_name, override, message) => {
    const build = () => new ClipTokenizer({ ...fixtureTokenizerFiles, ...override } as typeof fixtureTokenizerFiles, options);
    expect(build).toThrow(ModelFormatError);
    expect(build).toThrow(message);
  });

  it('a variant without vocab.json or merges.txt', async () => {
    const read = async () => new Uint8Array();
    await expect(readVariantTokenizerFiles([{ role: 'tokenizer', path: 'tokenizer/tokenizer.json', bytes: 1 }], read)).rejects.toThrow(
      /the variant has no tokenizer vocab\.json and merges\.txt/,
    );
    await expect(readVariantTokenizerFiles([{ role: 'tokenizer', path: 'tokenizer/vocab.json', bytes: 1 }], read)).rejects.toBeInstanceOf(ModelFormatError);
  });
});

describe('normalizeClipText (where it departs from the reference, documented in clip-text.ts)', () => {
  it('leaves HTML5 names outside the HTML 4 set as text, and does not repair mojibake', () => {
    // The reference gives "★" and "café": ftfy's full entity table and its fix_encoding.
    expect(normalizeClipText('&bigstar; cafÃ©')).toBe('&bigstar; cafã©');
  });
});
