// Runs a TypeScript benchmark through Vite's module runner:
//   node bench/run.mjs bench/download-throughput.ts
import { resolve } from 'node:path';
import { runnerImport } from 'vite';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/run.mjs <benchmark.ts>');
  process.exit(2);
}
await runnerImport(resolve(file));
