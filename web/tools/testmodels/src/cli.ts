/**
 * CLI: `node tools/testmodels/dist/cli.js [--out DIR] [--seed N]`
 * (or `npm run testmodels` from `web/`). Prints what it wrote as JSON lines.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_OUT_DIR, DEFAULT_SEED, generateTestModels } from './generate.js';

const { values } = parseArgs({
  options: { out: { type: 'string', default: DEFAULT_OUT_DIR }, seed: { type: 'string', default: String(DEFAULT_SEED) }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log('usage: testmodels [--out DIR] [--seed N]\nwrites DIR/test-tiny-sd/{manifest.json,tokenizer/,fp32/,fp16/}');
  process.exit(0);
}
const seed = Number(values.seed);
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);
  process.exit(2);
}
const result = generateTestModels({ outDir: values.out, seed });
const seen = new Set<string>();
for (const [backend, variant] of Object.entries(result.manifest.variants)) {
  for (const file of variant.files) {
    if (seen.has(file.path)) continue;
    seen.add(file.path);
    console.log(JSON.stringify({ backend, path: relative(process.cwd(), `${result.modelDir}/${file.path}`), bytes: file.bytes, sha256: file.sha256 }));
  }
}
console.log(JSON.stringify({ modelDir: result.modelDir, parameters: result.parameters, elapsedMs: Math.round(result.elapsedMs) }));
