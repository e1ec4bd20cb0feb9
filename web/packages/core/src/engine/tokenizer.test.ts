import { describe, expect, it } from 'vitest';
import { ModelFormatError } from './errors.js';
import { FIXTURE_IDS, fixtureTokenizerJson } from './tokenizer.fixture.js';
import { ClipTokenizer } from './tokenizer.js';

const options = { maxLength: 77, padTokenId: 0 };

describe('ClipTokenizer', () => {
  it('wraps the prompt in start/end tokens and pads with 0 to 77', () => {
    const t = new ClipTokenizer(JSON.stringify(fixtureTokenizerJson), options);
    const { ids, length, truncated } = t.encode('A  Cat dog');
    expect(ids.length).toBe(77);
    expect(Array.from(ids.slice(0, 5))).toEqual([FIXTURE_IDS.bos, FIXTURE_IDS.a, FIXTURE_IDS.cat, FIXTURE_IDS.dog, FIXTURE_IDS.eos]);
    expect(length).toBe(5);
    expect(truncated).toBe(false);
    expect(ids.slice(5).every((id) => id === 0)).toBe(true);
  });

  it('cuts long prompts to 77, keeping the end token last', () => {
    const t = new ClipTokenizer(fixtureTokenizerJson, options);
    const { ids, length, truncated } = t.encode('cat '.repeat(100));
    expect(truncated).toBe(true);
    expect(length).toBe(77);
    expect(ids[0]).toBe(FIXTURE_IDS.bos);
    expect(ids[75]).toBe(FIXTURE_IDS.cat);
    expect(ids[76]).toBe(FIXTURE_IDS.eos);
  });

  it('an empty prompt is start, end and padding', () => {
    const { ids } = new ClipTokenizer(fixtureTokenizerJson, options).encode('');
    expect(Array.from(ids.slice(0, 3))).toEqual([FIXTURE_IDS.bos, FIXTURE_IDS.eos, 0]);
  });

  it('rejects a broken tokenizer.json with a typed error', () => {
    expect(() => new ClipTokenizer('{not json', options)).toThrow(ModelFormatError);
  });
});
