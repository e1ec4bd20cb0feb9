/**
 * Bundles the engine (web/packages/core/src/engine, as the `engine` branch wrote it) into one
 * ESM file for Node: `node bench/gpu/runner/build-engine.mjs [OUT]` (default
 * bench/gpu/.build/engine.mjs). `onnxruntime-web/webgpu` becomes a stub that hands the engine
 * the ORT instance the runner loaded (globalThis.__hybridgenBenchOrt), so the engine and the
 * anchor run on the same module, wasm binary and GPU device.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const out = path.resolve(process.argv[2] ?? path.join(root, 'bench/gpu/.build/engine.mjs'));
const { build } = await import(pathToFileURL(path.join(root, 'web/node_modules/rolldown/dist/index.mjs')).href);

const STUB = '\0hybridgen-bench-ort';
await build({
  input: path.join(here, 'engine-entry.ts'),
  platform: 'neutral',
  resolve: { extensionAlias: { '.js': ['.ts', '.js'] }, mainFields: ['module', 'main'], conditionNames: ['import', 'default'] },
  plugins: [
    {
      name: 'ort-from-runner',
      resolveId(id) {
        return id === 'onnxruntime-web/webgpu' || id === 'onnxruntime-web' ? STUB : null;
      },
      load(id) {
        return id === STUB ? 'const ort = globalThis.__hybridgenBenchOrt; export default ort;' : null;
      },
    },
  ],
  output: { file: out, format: 'esm', codeSplitting: false },
  logLevel: 'warn',
});
console.log(`wrote ${path.relative(process.cwd(), out)}`);
