/**
 * Golden test of the CLIP tokenizer on CLIP's real vocabulary: `vocab.json` +
 * `merges.txt` built in the Hugging Face layout from openai/CLIP's merge list
 * (testdata/, MIT, see its README), ids compared with what the reference
 * tokenizer (openai/CLIP `simple_tokenizer.py`) printed.
 *
 * GOLDENS were printed by (see the script's docstring for the checkouts):
 *   PYTHONPATH=FTFY:CLIP python3 bench/tokenizer/clip_goldens.py
 * For each prompt:
 * - `ids`: `SimpleTokenizer().encode(prompt)`, the text's ids without start or
 *   end token and without a length limit; compared with `encodeText`;
 * - `tokens`: the 77 ids OpenCLIP's `tokenize` and diffusers (CLIPTokenizer,
 *   `padding="max_length", max_length=77, truncation=True`, pad id 0) give:
 *   49406, the ids cut to 75, 49407, then zeros; printed without the zeros of
 *   the padding. `encode` must give these 77 ids exactly, with `length` =
 *   `tokens.length` and `truncated` when the text had more than 75 ids.
 */

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClipTokenizer } from './tokenizer.js';
import { clipTokenizerFiles } from './tokenizer-layout.js';

interface Golden {
  readonly prompt: string;
  readonly ids: readonly number[];
  readonly tokens: readonly number[];
}

const GOLDENS: readonly Golden[] = [
  { prompt: 'a photo of a cat', ids: [320, 1125, 539, 320, 2368], tokens: [49406, 320, 1125, 539, 320, 2368, 49407] },
  { prompt: '', ids: [], tokens: [49406, 49407] },
  {
    prompt: 'A PhOtO oF a CaT iN NeW YoRk CiTy',
    ids: [320, 1125, 539, 320, 2368, 530, 686, 2705, 1305],
    tokens: [49406, 320, 1125, 539, 320, 2368, 530, 686, 2705, 1305, 49407],
  },
  {
    prompt:
      'a highly detailed matte painting of a castle on a hill at sunset, volumetric light, trending on artstation, a highly detailed matte painting of a castle on a hill at sunset, volumetric light, trending on artstation, a highly detailed matte painting of a castle on a hill at sunset, volumetric light, trending on artstation, a highly detailed matte painting of a castle on a hill at sunset, volumetric light, trending on artstation, ',
    ids: [
      320, 5302, 12609, 19771, 3086, 539, 320, 3540, 525, 320, 2682, 536, 3424, 267, 3563, 19950, 1395, 267, 6087, 525, 1486, 2631, 267, 320, 5302, 12609,
      19771, 3086, 539, 320, 3540, 525, 320, 2682, 536, 3424, 267, 3563, 19950, 1395, 267, 6087, 525, 1486, 2631, 267, 320, 5302, 12609, 19771, 3086, 539, 320,
      3540, 525, 320, 2682, 536, 3424, 267, 3563, 19950, 1395, 267, 6087, 525, 1486, 2631, 267, 320, 5302, 12609, 19771, 3086, 539, 320, 3540, 525, 320, 2682,
      536, 3424, 267, 3563, 19950, 1395, 267, 6087, 525, 1486, 2631, 267,
    ],
    tokens: [
      49406, 320, 5302, 12609, 19771, 3086, 539, 320, 3540, 525, 320, 2682, 536, 3424, 267, 3563, 19950, 1395, 267, 6087, 525, 1486, 2631, 267, 320, 5302,
      12609, 19771, 3086, 539, 320, 3540, 525, 320, 2682, 536, 3424, 267, 3563, 19950, 1395, 267, 6087, 525, 1486, 2631, 267, 320, 5302, 12609, 19771, 3086,
      539, 320, 3540, 525, 320, 2682, 536, 3424, 267, 3563, 19950, 1395, 267, 6087, 525, 1486, 2631, 267, 320, 5302, 12609, 19771, 3086, 539, 49407,
    ],
  },
  {
    prompt:
      'cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat ',
    ids: [
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
    ],
    tokens: [
      49406, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 49407,
    ],
  },
  {
    prompt:
      'cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat cat ',
    ids: [
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368,
    ],
    tokens: [
      49406, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368,
      2368, 49407,
    ],
  },
  {
    prompt: 'Hello, world!!! (masterpiece:1.2) [best quality] -- 50% off? #art @user ~~~ a/b\\c {x}',
    ids: [
      3306, 267, 1002, 995, 263, 12066, 281, 272, 269, 273, 264, 314, 949, 3027, 316, 2432, 276, 271, 260, 1007, 286, 258, 794, 287, 7031, 32472, 320, 270, 321,
      315, 322, 346, 343, 348,
    ],
    tokens: [
      49406, 3306, 267, 1002, 995, 263, 12066, 281, 272, 269, 273, 264, 314, 949, 3027, 316, 2432, 276, 271, 260, 1007, 286, 258, 794, 287, 7031, 32472, 320,
      270, 321, 315, 322, 346, 343, 348, 49407,
    ],
  },
  {
    prompt: "It's what we've done; they'll say I'm sure you'd know, don't you? DON'T 'quoted'",
    ids: [585, 568, 768, 649, 1200, 1700, 282, 889, 1342, 1451, 328, 880, 1650, 592, 1896, 1038, 267, 847, 713, 592, 286, 847, 713, 262, 27706, 262],
    tokens: [
      49406, 585, 568, 768, 649, 1200, 1700, 282, 889, 1342, 1451, 328, 880, 1650, 592, 1896, 1038, 267, 847, 713, 592, 286, 847, 713, 262, 27706, 262, 49407,
    ],
  },
  {
    prompt: 'don\u2019t \u201cquoted\u201d \u2018single\u2019 text',
    ids: [847, 713, 257, 27706, 257, 568, 17005, 262, 4160],
    tokens: [49406, 847, 713, 257, 27706, 257, 568, 17005, 262, 4160, 49407],
  },
  {
    prompt: '1234567 3.14159 2x4 1e10 \u00bd \u00b2 \u0663\u0664 \u2167',
    ids: [
      272, 273, 274, 275, 276, 277, 278, 274, 269, 272, 275, 272, 276, 280, 273, 343, 275, 272, 324, 272, 271, 33613, 41175, 149, 352, 149, 353, 158, 227, 371,
    ],
    tokens: [
      49406, 272, 273, 274, 275, 276, 277, 278, 274, 269, 272, 275, 272, 276, 280, 273, 343, 275, 272, 324, 272, 271, 33613, 41175, 149, 352, 149, 353, 158,
      227, 371, 49407,
    ],
  },
  {
    prompt: 'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e na\u00efve Z\u00fcrich S\u00e3o Paulo cafe\u0301',
    ids: [15304, 1075, 12138, 614, 711, 127, 119, 75, 13489, 1097, 35689, 563, 89, 6522, 4021, 45911, 21628, 15304],
    tokens: [49406, 15304, 1075, 12138, 614, 711, 127, 119, 75, 13489, 1097, 35689, 563, 89, 6522, 4021, 45911, 21628, 15304, 49407],
  },
  {
    prompt: '\u6771\u4eac\u306e\u591c\u666f \u5317\u4eac \uc11c\uc6b8 \u30ab\u30bf\u30ab\u30ca',
    ids: [48338, 21078, 105, 21575, 23170, 250, 48132, 363, 161, 234, 245, 21078, 361, 15074, 250, 18541, 372, 37367, 34941, 37367, 2429, 488],
    tokens: [49406, 48338, 21078, 105, 21575, 23170, 250, 48132, 363, 161, 234, 245, 21078, 361, 15074, 250, 18541, 372, 37367, 34941, 37367, 2429, 488, 49407],
  },
  {
    prompt:
      '\u041c\u043e\u0441\u043a\u0432\u0430 \u043d\u043e\u0447\u044c\u044e, \u041a\u0440\u0435\u043c\u043b\u044c \u039f\u0394\u03a5\u03a3\u03a3\u0395\u03a5\u03a3 \u03c3\u03bf\u03c6\u03cc\u03c2',
    ids: [
      38018, 13506, 23669, 27152, 39813, 27080, 22705, 13506, 141, 229, 141, 234, 141, 492, 267, 27152, 16370, 22176, 38018, 47611, 141, 490, 138, 123, 138,
      112, 139, 227, 139, 225, 139, 225, 138, 113, 139, 227, 139, 480, 139, 225, 138, 123, 139, 228, 139, 234, 139, 480,
    ],
    tokens: [
      49406, 38018, 13506, 23669, 27152, 39813, 27080, 22705, 13506, 141, 229, 141, 234, 141, 492, 267, 27152, 16370, 22176, 38018, 47611, 141, 490, 138, 123,
      138, 112, 139, 227, 139, 225, 139, 225, 138, 113, 139, 227, 139, 480, 139, 225, 138, 123, 139, 228, 139, 234, 139, 480, 49407,
    ],
  },
  {
    prompt: '\ud83d\udc31 cat \ud83d\udc69\u200d\ud83d\ude80 astronaut \ud83c\uddeb\ud83c\uddf7 \u2764\ufe0f \ud83d\udc4d\ud83c\udffd',
    ids: [22979, 2368, 26304, 13542, 18376, 16223, 1752, 43722],
    tokens: [49406, 22979, 2368, 26304, 13542, 18376, 16223, 1752, 43722, 49407],
  },
  {
    prompt:
      'Tom &amp; Jerry &lt;3 &quot;cartoon&quot; &#39;classic&#39; &eacute;t&eacute; &#x1F600; &amp;amp; &nbsp;x &copy 2024 &EACUTE; &#128; &#0; &#xD800;',
    ids: [2435, 261, 9164, 283, 274, 257, 7651, 257, 262, 2713, 262, 3459, 39694, 7334, 261, 343, 5811, 273, 271, 273, 275, 4166, 6309, 39802, 39802],
    tokens: [
      49406, 2435, 261, 9164, 283, 274, 257, 7651, 257, 262, 2713, 262, 3459, 39694, 7334, 261, 343, 5811, 273, 271, 273, 275, 4166, 6309, 39802, 39802, 49407,
    ],
  },
  {
    prompt: 'a <b>bold</b> &amp;amp;lt; move &notit; &amplifier',
    ids: [320, 283, 321, 285, 8911, 34308, 321, 285, 261, 3333, 282, 2783, 126, 361, 585, 282, 261, 554, 10598],
    tokens: [49406, 320, 283, 321, 285, 8911, 34308, 321, 285, 261, 3333, 282, 2783, 126, 361, 585, 282, 261, 554, 10598, 49407],
  },
  {
    prompt: '  \t a   cat\n\n on\r\n a\u00a0mat \u3000 end \u2028 x\u0085y  ',
    ids: [320, 2368, 525, 320, 9063, 806, 343, 959, 344],
    tokens: [49406, 320, 2368, 525, 320, 9063, 806, 343, 959, 344, 49407],
  },
  {
    prompt: '\uff2c\uff2f\uff35\uff24 \ufb01ne \ufb02ower \u0133s \u01c5',
    ids: [7464, 3797, 4055, 7337, 338, 67, 129, 378],
    tokens: [49406, 7464, 3797, 4055, 7337, 338, 67, 129, 378, 49407],
  },
  {
    prompt: 'a <|endoftext|> b <|startoftext|> c <|ENDOFTEXT|>',
    ids: [320, 49407, 321, 49406, 322, 49407],
    tokens: [49406, 320, 49407, 321, 49406, 322, 49407, 49407],
  },
  {
    prompt: '\u0130stanbul \u00df stra\u00dfe \u1e9e \u01c4 \u2126',
    ids: [328, 16384, 11231, 127, 509, 1894, 127, 253, 324, 127, 509, 67, 129, 378, 38065],
    tokens: [49406, 328, 16384, 11231, 127, 509, 1894, 127, 253, 324, 127, 509, 67, 129, 378, 38065, 49407],
  },
  {
    prompt: '\u0000\u0007bell \ufeffbom \u001b[31mred\u001b[0m \u206adeprecated',
    ids: [3718, 19469, 736, 7107, 31823],
    tokens: [49406, 3718, 19469, 736, 7107, 31823, 49407],
  },
  { prompt: 'price \u0080 5 \u0085 end \u0081', ids: [2827, 6309, 276, 959, 806, 126, 479], tokens: [49406, 2827, 6309, 276, 959, 806, 126, 479, 49407] },
  {
    prompt: '\u0645\u0631\u062d\u0628\u0627 \u0928\u092e\u0938\u094d\u0924\u0947 \u05e9\u05dc\u05d5\u05dd',
    ids: [12986, 10948, 25722, 16378, 22625, 3124, 101, 48254, 28505, 19389, 27263, 25130, 147, 102, 147, 250, 147, 243, 147, 507],
    tokens: [49406, 12986, 10948, 25722, 16378, 22625, 3124, 101, 48254, 28505, 19389, 27263, 25130, 147, 102, 147, 250, 147, 243, 147, 507, 49407],
  },
  {
    prompt: 'supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis',
    ids: [1642, 2857, 13093, 2076, 5868, 26850, 835, 639, 38466, 28714, 749, 20253, 9800, 535, 532, 1065, 901, 1556, 13697, 9916, 78, 39031, 13903],
    tokens: [
      49406, 1642, 2857, 13093, 2076, 5868, 26850, 835, 639, 38466, 28714, 749, 20253, 9800, 535, 532, 1065, 901, 1556, 13697, 9916, 78, 39031, 13903, 49407,
    ],
  },
];

/** The merges as CLIP's reference reads them: lines 2 to 48,895 of the file (49,152 - 256 - 2 merges). */
function clipMerges(): [string, string][] {
  const lines = gunzipSync(readFileSync(new URL('./testdata/bpe_simple_vocab_16e6.txt.gz', import.meta.url)))
    .toString('utf8')
    .split('\n');
  expect(lines.length).toBe(262_146); // 262,145 lines and a final newline
  return lines.slice(1, 49152 - 256 - 2 + 1).map((line) => line.split(' ') as [string, string]);
}

describe("ClipTokenizer on CLIP's real vocabulary", () => {
  let tokenizer: ClipTokenizer;
  beforeAll(() => {
    const layout = clipTokenizerFiles(clipMerges());
    expect(layout).toMatchObject({ vocabSize: 49408, bosTokenId: 49406, eosTokenId: 49407 });
    const { files } = layout;
    tokenizer = new ClipTokenizer(
      {
        vocab: files['vocab.json'],
        merges: files['merges.txt'],
        specialTokensMap: files['special_tokens_map.json'],
        tokenizerConfig: files['tokenizer_config.json'],
      },
      { maxLength: 77, padTokenId: 0 },
    );
  }, 60_000); // about 1 s on an idle 2-core machine (gunzip, vocabulary, tokenizer)

  it.each(GOLDENS.map((g) => [JSON.stringify(g.prompt).slice(0, 60), g] as const))(
    '%s: the reference ids, and the 77 diffusers feeds the text encoder',
    (_name, golden) => {
      expect(tokenizer.encodeText(golden.prompt)).toEqual(golden.ids);
      const { ids, length, truncated } = tokenizer.encode(golden.prompt);
      const expected = new Int32Array(77);
      expected.set(golden.tokens);
      expect(Array.from(ids)).toEqual(Array.from(expected));
      expect(length).toBe(golden.tokens.length);
      expect(truncated).toBe(golden.ids.length > 75);
    },
  );

  it('covers the boundary: 75 text ids fit, 76 are cut with the end token kept last', () => {
    expect(GOLDENS.some((g) => g.ids.length === 75)).toBe(true);
    expect(GOLDENS.some((g) => g.ids.length === 76)).toBe(true);
  });
});
