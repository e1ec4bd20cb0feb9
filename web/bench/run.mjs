// Runs a TypeScript benchmark with Vite's module runner (Node 20 cannot strip types):
//   node bench/run.mjs bench/engine-overhead.ts [args]
import { resolve } from 'node:path';
import { runnerImport } from 'vite';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/run.mjs <benchmark.ts> [args]');
  process.exit(2);
}
await runnerImport(resolve(file), { configFile: false, logLevel: 'warn', resolve: { conditions: ['source'] } });
