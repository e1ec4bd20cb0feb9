/**
 * CLIP tokenizer speed on CLIP's real vocabulary (the merges in
 * packages/core/src/engine/tokenizer/testdata, as in the golden test):
 *
 *   cd web && npm run bench:tokenizer -- [--runs N]
 *
 * Prints the median time to build the tokenizer from vocab.json + merges.txt,
 * to encode a prompt of more than 77 tokens the first time (every word
 * through BPE) and again (words from the per-word cache), and the ratio
 * warm / first. Goal: a 77-token prompt in well under 1 ms warm.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { ClipTokenizer, clipTokenizerFiles } from '../packages/core/src/engine/tokenizer/tokenizer.js';

const { values } = parseArgs({ args: process.argv.slice(3), options: { runs: { type: 'string', default: '2000' } } });
const runs = Number(values.runs);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

const gz = readFileSync(new URL('../packages/core/src/engine/tokenizer/testdata/bpe_simple_vocab_16e6.txt.gz', import.meta.url));
const merges = gunzipSync(gz)
  .toString('utf8')
  .split('\n')
  .slice(1, 49152 - 256 - 2 + 1)
  .map((line) => line.split(' ') as [string, string]);
const { files } = clipTokenizerFiles(merges);
const input = { vocab: new TextEncoder().encode(files['vocab.json']), merges: new TextEncoder().encode(files['merges.txt']) };
const options = { maxLength: 77, padTokenId: 0 };
const prompt =
  'a highly detailed matte painting of a medieval castle on a misty hill at golden hour, volumetric light, dramatic clouds, ' +
  'trending on artstation, by greg rutkowski and alphonse mucha, octane render, 8k, sharp focus, intricate ornaments, ' +
  'reflections in a quiet lake, a flock of birds, warm colours, cinematic composition, wide angle lens, ' +
  'soft shadows, glowing windows, ancient stone bridges, wildflowers in the foreground';

const build: number[] = [];
const first: number[] = [];
let tokenizer = new ClipTokenizer(input, options);
for (let i = 0; i < 5; i++) {
  const t0 = performance.now();
  tokenizer = new ClipTokenizer(input, options);
  const t1 = performance.now();
  tokenizer.encode(prompt);
  build.push(t1 - t0);
  first.push(performance.now() - t1);
}
const tokens = tokenizer.encodeText(prompt).length;
const warm: number[] = [];
for (let i = 0; i < runs; i++) {
  const t0 = performance.now();
  tokenizer.encode(prompt);
  warm.push(performance.now() - t0);
}
const w = median(warm);
const f = median(first);
console.log(`CLIP tokenizer, ${merges.length} merges, prompt of ${prompt.length} characters = ${tokens} text tokens (cut to 75)`);
console.log(`build from vocab.json + merges.txt: ${median(build).toFixed(1)} ms (median of 5)`);
console.log(`encode, first time:                 ${f.toFixed(3)} ms (median of 5)`);
console.log(`encode, warm (cached words):        ${w.toFixed(4)} ms (median of ${runs}); warm / first = ${(w / f).toFixed(3)}`);
