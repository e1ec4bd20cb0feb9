/**
 * Node as a stand-in for a page: WebGPU from Dawn (`webgpu` npm) and onnxruntime-web's
 * `webgpu` bundle with its asyncify wasm. What Dawn in Node needs (shared/notes/environment.md):
 * GPUQueue.writeBuffer copies SharedArrayBuffer-backed data, and a timer stays pending while
 * GPU work is in flight (else the first readback stalls ~28 s).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let keepAlive = null;

/** Installs `navigator.gpu` from Dawn; returns the adapter's description, or null when there is none. */
export async function installDawn(nodeModules) {
  globalThis.navigator ??= {};
  Object.defineProperty(globalThis.navigator, 'hardwareConcurrency', { value: os.cpus().length, configurable: true });
  globalThis.isSecureContext = true;
  let mod;
  try {
    mod = await import(pathToFileURL(path.join(nodeModules, 'webgpu', 'index.js')).href);
  } catch (error) {
    return { error: `webgpu package: ${error.message}` };
  }
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  const write = GPUQueue.prototype.writeBuffer;
  GPUQueue.prototype.writeBuffer = function (buffer, offset, data, dataOffset, size) {
    if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) data = new data.constructor(data);
    else if (data instanceof SharedArrayBuffer) data = data.slice(0);
    return write.call(this, buffer, offset, data, dataOffset, size);
  };
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  keepAlive ??= setInterval(() => {}, 1);
  const adapter = await gpu.requestAdapter();
  if (!adapter) return { error: 'requestAdapter() returned null' };
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isFallbackAdapter: info.isFallbackAdapter ?? false,
    shaderF16: adapter.features.has('shader-f16'),
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}

/** Stops the pending timer so the process can exit. */
export function releaseKeepAlive() {
  if (keepAlive) clearInterval(keepAlive);
  keepAlive = null;
}

/** Imports onnxruntime-web's `webgpu` bundle (the one `onnxruntime-web/webgpu` resolves to) and configures it. */
export async function loadOrtWeb(nodeModules, { threads = 1, logLevel = 'error' } = {}) {
  const dist = path.join(nodeModules, 'onnxruntime-web', 'dist');
  const mod = await import(pathToFileURL(path.join(dist, 'ort.webgpu.bundle.min.mjs')).href);
  const ort = mod.default ?? mod;
  ort.env.logLevel = logLevel;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmBinary = fs.readFileSync(path.join(dist, 'ort-wasm-simd-threaded.asyncify.wasm'));
  // Threads stay off in Node: ORT starts its workers from a blob: URL (or, same-origin, from a
  // URL it resolves against location), neither of which Node's ESM loader and worker_threads take.
  if (threads > 1) throw new Error('onnxruntime-web in Node runs the wasm EP on one thread only (see bench/gpu/CONTEXT.md)');
  const version = JSON.parse(fs.readFileSync(path.join(nodeModules, 'onnxruntime-web', 'package.json'), 'utf8')).version;
  return { ort, version };
}

/** A network's files: `DIR/model.onnx` and, when `files.json` lists them, its external data files. */
export function modelFiles(dir) {
  const list = path.join(dir, 'files.json');
  const externalData = fs.existsSync(list) ? JSON.parse(fs.readFileSync(list, 'utf8')).externalData : [];
  return { model: path.join(dir, 'model.onnx'), externalData: externalData.map((f) => ({ name: f, file: path.join(dir, f) })) };
}

/** Reads a network for `InferenceSession.create` (bytes plus the `externalData` option). */
export function readModel(dir) {
  const { model, externalData } = modelFiles(dir);
  return {
    bytes: fs.readFileSync(model),
    externalData: externalData.map((e) => ({ path: e.name, data: fs.readFileSync(e.file) })),
  };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? null : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median of each numeric field over runs, rounded to 0.1 ms. */
export function summarise(runs) {
  const out = { runs: runs.length };
  for (const key of Object.keys(runs[0] ?? {})) out[key] = Math.round(median(runs.map((r) => r[key])) * 10) / 10;
  return out;
}

/** Box-Muller Gaussian noise from a seeded LCG (the anchor's noise; values do not affect latency). */
export function randn(n, seed = 1) {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 1) / 4294967297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return out;
}

/** A fixed prompt's CLIP ids ("a photo of a cat"), folded into a smaller test vocabulary. */
export function promptIds(vocabSize = 49408) {
  return [49406, 320, 1125, 539, 320, 2368, 49407].map((id) => id % vocabSize);
}
