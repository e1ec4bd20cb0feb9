/**
 * Local-engine overhead in Node on a real GPU: the same engine code
 * (createInPageEngine, onnxruntime-web's WebGPU EP) on Dawn (`webgpu` npm),
 * e.g. on the project's H100 machine over Vulkan. Prints, per size, the
 * medians of the sum of session.run, the engine's total and the difference.
 *
 *   node bench/run.mjs bench/engine-overhead-node.ts --model DIR/test-tiny-sd [--backend webgpu-f32|wasm] [--runs 20] [--sizes 64,256,512]
 *
 * The GPU must be visible to Dawn (VK_ICD_FILENAMES / VK_DRIVER_FILES for
 * Vulkan). See BENCHMARKS.md for figures.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { create, globals } from 'webgpu';
import { createInPageEngine, type EngineModel, type ModelFileSource } from '../packages/core/src/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    backend: { type: 'string', default: 'webgpu-f32' },
    runs: { type: 'string', default: '20' },
    sizes: { type: 'string', default: '64,256,512' },
    'wasm-binary': { type: 'string' },
  },
  args: process.argv.slice(3),
});
if (!values.model) throw new Error('--model DIR/test-tiny-sd is required');
const modelDir = values.model;
const backend = values.backend as 'webgpu-f32' | 'wasm';
const runs = Number(values.runs);
const sizes = values.sizes.split(',').map(Number);

// Dawn in Node: WebGPU globals, SharedArrayBuffer-backed writes copied, a timer kept pending during runs.
Object.assign(globalThis, globals);
const original = GPUQueue.prototype.writeBuffer;
GPUQueue.prototype.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: BufferSource | SharedArrayBuffer, ...rest: number[]) {
  const view = ArrayBuffer.isView(data) ? (data as ArrayBufferView) : null;
  // Same element type: writeBuffer's offset and size count elements of the view.
  const copy =
    view && (view.buffer as unknown) instanceof SharedArrayBuffer ? new (view.constructor as new (v: ArrayBufferView) => ArrayBufferView)(view) : data;
  return (original as (...a: unknown[]) => undefined).call(this, buffer, offset, copy, ...rest);
};
const gpu = create([]);
Object.defineProperty(globalThis, 'navigator', { value: { gpu, hardwareConcurrency: 1, userAgent: 'node' }, configurable: true });
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
if (!adapter) throw new Error('Dawn found no GPU adapter');
const limits = adapter.limits;
const device = await adapter.requestDevice({
  requiredLimits: {
    maxBufferSize: limits.maxBufferSize,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
  },
});
const info = adapter.info;
const wasmPath =
  values['wasm-binary'] ?? join(dirname(createRequire(import.meta.url).resolve('onnxruntime-web/webgpu')), 'ort-wasm-simd-threaded.asyncify.wasm');
const timer = setInterval(() => {}, 5);

const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as EngineModel & { variants: Record<string, { files: { path: string }[] }> };
const files: Record<string, Blob> = {};
for (const v of Object.values(manifest.variants)) for (const f of v.files) files[f.path] = new Blob([readFileSync(join(modelDir, f.path))]);
const source: ModelFileSource = { kind: 'blobs', files };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const engine = createInPageEngine({
  runtime: { wasmBinary: readFileSync(wasmPath), numThreads: 1, webgpuDevice: device },
});
console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description}; backend ${backend}; ${runs} runs per size`);
console.log('| size | steps | sum of session.run | engine total | engine overhead |');
console.log('| --- | --- | --- | --- | --- |');
for (const size of sizes) {
  for (const steps of [1, 4]) {
    await engine.load({ model: manifest, source, backend, size });
    const run: number[] = [];
    const total: number[] = [];
    const extra: number[] = [];
    for (let i = 0; i < runs; i++) {
      const image = await engine.generate({ prompt: 'a red cat on a blue chair', seed: i, steps });
      run.push(image.timings.sessionRunMs);
      total.push(image.timings.totalMs);
      extra.push(image.timings.totalMs - image.timings.sessionRunMs);
    }
    const ms = (v: number): string => `${v.toFixed(2)} ms`;
    console.log(
      `| ${size} px | ${steps} | ${ms(median(run))} | ${ms(median(total))} | ${ms(median(extra))} (${((median(extra) / median(run)) * 100).toFixed(1)} %) |`,
    );
  }
}
await engine.unload();
clearInterval(timer);
device.destroy();
process.exit(0);
