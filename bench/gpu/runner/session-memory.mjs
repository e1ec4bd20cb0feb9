// Session memory of onnxruntime-web 1.30: one measurement per process (fresh wasm heap).
//   node bench/gpu/runner/session-memory.mjs make DIR [WIDTH LAYERS]      synthetic MatMul chains (fp16/fp32, embedded/external)
//   node bench/gpu/runner/session-memory.mjs DIR <webgpu|wasm> <fp16|fp32> <base|demo> <embedded|external>
// base = the engine's options before 2026-12-02; demo = + disable_prepacking, use_device_allocator_for_initializers.
// Prints one JSON line: wasm heap high-water after create/run, RSS delta and max RSS. WebGPU needs navigator.gpu
// from the `webgpu` package (Dawn): a Vulkan ICD (lavapipe here, the GPU's on the device).
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
v8.setFlagsFromString('--liftoff-only');
const W = process.env.HG_NODE_MODULES ?? new URL('../../../web/node_modules/', import.meta.url).pathname;
if (process.argv[2] === 'make') { await import('./session-memory-models.mjs'); process.exit(0); }
const [root, backend, precision, optionSet, layout] = process.argv.slice(2);
const memories = [];
WebAssembly.Memory = new Proxy(WebAssembly.Memory, { construct(t, a) { const m = Reflect.construct(t, a); memories.push(m); return m; } });
const heap = () => Math.max(0, ...memories.map((m) => m.buffer.byteLength));
const timer = setInterval(() => {}, 5);
if (backend === 'webgpu') {
  const { create, globals } = await import(W + 'webgpu/index.js');
  Object.assign(globalThis, globals);
  const q = globals.GPUQueue.prototype; const wb = q.writeBuffer;
  q.writeBuffer = function (b, o, d, doff, size) { let c = d; if (ArrayBuffer.isView(d) && d.buffer instanceof SharedArrayBuffer) c = d.slice(); return wb.call(this, b, o, c, doff, size); };
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true });
}
const ort = await import(W + 'onnxruntime-web/dist/ort.webgpu.bundle.min.mjs');
ort.env.wasm.wasmBinary = readFileSync(W + 'onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm');
ort.env.wasm.numThreads = 1; ort.env.wasm.proxy = false;
const dir = `${root}/${precision}-${layout}`;
const model = new Uint8Array(readFileSync(`${dir}/model.onnx`));
const externalData = layout === 'external' ? [{ path: 'model.onnx.data', data: new Uint8Array(readFileSync(`${dir}/model.onnx.data`)) }] : [];
const rss0 = process.memoryUsage().rss;
const opts = { executionProviders: [backend], graphOptimizationLevel: 'all', enableMemPattern: false, enableCpuMemArena: false, logSeverityLevel: 3, ...(externalData.length ? { externalData } : {}) };
if (optionSet === 'demo') opts.extra = { session: { disable_prepacking: '1', use_device_allocator_for_initializers: '1' } };
const t0 = performance.now();
const s = await ort.InferenceSession.create(model, opts);
const createMs = performance.now() - t0;
const heapCreate = heap(); const rssCreate = process.memoryUsage().rss;
const width = JSON.parse(readFileSync(`${dir}/meta.json`)).width;
const x = new ort.Tensor('float32', Float32Array.from({ length: width }, (_, i) => Math.cos(i)), [1, width]);
const t1 = performance.now();
const out = await s.run({ x }); const y = await out.y.getData();
const runMs = performance.now() - t1;
clearInterval(timer);
console.log(JSON.stringify({ backend, precision, optionSet, layout, modelMB: +(model.byteLength / 2 ** 20).toFixed(1), externalMB: +((externalData[0]?.data.byteLength ?? 0) / 2 ** 20).toFixed(1), createMs: Math.round(createMs), runMs: Math.round(runMs), heapAfterCreateMB: Math.round(heapCreate / 2 ** 20), heapAfterRunMB: Math.round(heap() / 2 ** 20), rssDeltaCreateMB: Math.round((rssCreate - rss0) / 2 ** 20), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024), y0: y[0] }));
process.exit(0);
