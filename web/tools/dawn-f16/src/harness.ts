/**
 * Runs code that expects a browser's `navigator.gpu` (onnxruntime-web's
 * WebGPU EP, the engine's pipeline) on Dawn in Node, and fails it on any
 * WebGPU validation error.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import v8 from 'node:v8';
import type * as OrtWeb from 'onnxruntime-web/webgpu';
import { type DawnGpu, type DawnGpuOptions, getDawnGpu, type RecordedGpuError, recordGpuError } from './dawn.js';

/** Thrown by {@link withDawnGpu} when WebGPU reported errors during the run; lists them all. */
export class WebGpuValidationError extends Error {
  override readonly name = 'WebGpuValidationError';
  constructor(readonly errors: readonly RecordedGpuError[]) {
    super(`${errors.length} WebGPU error(s) during the run:\n${errors.map((e) => `  [${e.source}] ${e.message}`).join('\n')}`);
  }
}

/** Console lines that mean WebGPU reported a problem (ORT-web and Dawn log them this way). */
const GPU_CONSOLE_PATTERN = /webgpu|validation error|GPUValidationError|uncaptured|device lost|\bwgsl\b|shader-f16|\bf16\b.*not support/i;

/** Options of {@link withDawnGpu}. */
export interface WithDawnGpuOptions extends DawnGpuOptions {
  /** Milliseconds between ticks of the timer kept pending during the run (Dawn needs the event loop busy). Default 5. */
  readonly tickMs?: number;
}

/**
 * Runs `fn` with the Dawn GPU installed as `navigator.gpu`, a timer pending
 * (without one the first GPU readback in Node can stall for ~30 s), and
 * `console.error`/`console.warn` watched. Throws {@link WebGpuValidationError}
 * if any uncaptured WebGPU error, unexpected device loss or WebGPU console
 * error happened during the run, even when `fn` itself succeeded.
 */
export async function withDawnGpu<T>(fn: (dawn: DawnGpu) => Promise<T>, options: WithDawnGpuOptions = {}): Promise<T> {
  const dawn = await getDawnGpu(options);
  const firstError = dawn.errors.length;
  const restoreNavigator = installNavigatorGpu(dawn.gpu);
  const consoleMethods = ['error', 'warn'] as const;
  const originals = consoleMethods.map((m) => console[m]);
  for (const [i, method] of consoleMethods.entries()) {
    const original = originals[i] ?? console.log;
    console[method] = (...args: unknown[]) => {
      const text = args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
      if (GPU_CONSOLE_PATTERN.test(text)) recordGpuError({ source: 'console', message: text });
      original.apply(console, args);
    };
  }
  const timer = setInterval(() => {}, options.tickMs ?? 5);
  try {
    const result = await fn(dawn);
    const fresh = dawn.errors.slice(firstError);
    if (fresh.length > 0) throw new WebGpuValidationError(fresh);
    return result;
  } finally {
    clearInterval(timer);
    for (const [i, method] of consoleMethods.entries()) console[method] = originals[i] ?? console.log;
    restoreNavigator();
  }
}

/** Sets `globalThis.navigator.gpu` (Node 20 has no `navigator`; Node 21+ has one without `gpu`). Returns an undo function. */
export function installNavigatorGpu(gpu: GPU): () => void {
  const g = globalThis as { navigator?: object };
  const hadNavigator = 'navigator' in g;
  if (!hadNavigator) Object.defineProperty(g, 'navigator', { value: {}, configurable: true, writable: true });
  const nav = g.navigator as object;
  const previous = Object.getOwnPropertyDescriptor(nav, 'gpu');
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  return () => {
    if (previous) Object.defineProperty(nav, 'gpu', previous);
    else delete (nav as { gpu?: GPU }).gpu;
    if (!hadNavigator) delete g.navigator;
  };
}

/** The wasm binary of onnxruntime-web's WebGPU build (`ort-wasm-simd-threaded.asyncify.wasm`). */
export function ortWebGpuWasmPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('onnxruntime-web/webgpu')), 'ort-wasm-simd-threaded.asyncify.wasm');
}

/**
 * Keeps V8 from tiering ORT-web's ~20 MB wasm up to TurboFan. On a 2-core
 * machine that background compilation takes about a minute of CPU, starves
 * GPU readbacks (runs of 30-60 s instead of 2 s) and holds the process at
 * exit for 80-100 s. Must run before the wasm module is compiled (the first
 * session). WASM-EP inference in the same process runs on Liftoff code.
 */
export function preventWasmTierUp(): void {
  v8.setFlagsFromString('--liftoff-only');
}

/**
 * Prepares an `onnxruntime-web/webgpu` module for Node: {@link preventWasmTierUp},
 * the wasm binary (fetching file URLs fails in Node), one wasm thread, no
 * proxy worker, and optionally a device (it must be set before the first
 * WebGPU session).
 */
export function configureOrtWebForNode(ort: typeof OrtWeb, options: { device?: GPUDevice } = {}): typeof OrtWeb {
  preventWasmTierUp();
  ort.env.wasm.wasmBinary ??= readFileSync(ortWebGpuWasmPath());
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  if (options.device) ort.env.webgpu.device = options.device;
  return ort;
}

/** Imports `onnxruntime-web/webgpu` and applies {@link configureOrtWebForNode}. */
export async function loadOrtWebGpu(options: { device?: GPUDevice } = {}): Promise<typeof OrtWeb> {
  preventWasmTierUp();
  const ort = await import('onnxruntime-web/webgpu');
  return configureOrtWebForNode(ort, options);
}
