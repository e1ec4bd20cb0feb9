/**
 * onnxruntime-web, loaded lazily from `onnxruntime-web/webgpu` (the native
 * WebGPU execution provider plus the WASM one, in one asyncify build). Never
 * the package's default export: its JSEP WebGPU backend runs fp16 graphs
 * silently wrong on devices without `shader-f16`.
 */

import type * as Ort from 'onnxruntime-web/webgpu';

/** The ORT module type. */
export type OrtModule = typeof Ort;

/** How to find and run ORT's WebAssembly. Self-hosted: nothing comes from a CDN. */
export interface RuntimeOptions {
  /**
   * Where ORT's `ort-wasm-simd-threaded.asyncify.{mjs,wasm}` are served (a
   * prefix or explicit URLs, e.g. from Vite `?url` imports). Default: next to
   * the bundled ORT module, as the bundler emitted them.
   */
  readonly wasmPaths?: string | { readonly mjs?: string; readonly wasm?: string };
  /** The wasm binary itself (Node, where fetching file URLs fails). */
  readonly wasmBinary?: Uint8Array;
  /** WASM threads; default: {@link defaultThreadCount} (most cores when cross-origin isolated, else 1). */
  readonly numThreads?: number;
  /**
   * The GPUDevice ORT's WebGPU EP must use (Node harnesses: Dawn's device with
   * `shader-f16`). Default: ORT requests its own from `navigator.gpu`.
   */
  readonly webgpuDevice?: GPUDevice;
  /** ORT log level (default 'error'). */
  readonly logLevel?: 'verbose' | 'info' | 'warning' | 'error' | 'fatal';
}

let ortPromise: Promise<OrtModule> | undefined;
let configured = false;

/** Most WASM threads the default asks for: the largest count measured (BENCHMARKS.md, "WASM threads in Chromium"). */
export const MAX_DEFAULT_THREADS = 16;

/**
 * Default WASM thread count: threads only when cross-origin isolated, and
 * never on a window's main thread, where ORT's pthread pool blocks (use the
 * worker engine there). Up to 4 cores, all of them; above, all but one (left
 * to the page and the browser), at most {@link MAX_DEFAULT_THREADS}. Measured
 * at full size in Chromium on 16 cores: a draft takes 2.3-3.1x less time on 15
 * threads than on 4, and 15 are as fast as 16.
 */
export function defaultThreadCount(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const onMainThread = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  if (onMainThread || !isolated) return 1;
  const cores = Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
  return Math.min(MAX_DEFAULT_THREADS, cores > 4 ? cores - 1 : cores);
}

/** Imports and configures ORT once; later calls return the same module (settings apply only before the first session). */
export function loadOrt(options: RuntimeOptions = {}): Promise<OrtModule> {
  ortPromise ??= import('onnxruntime-web/webgpu').then((mod) => {
    const ort = ((mod as { default?: OrtModule }).default ?? mod) as OrtModule;
    return ort;
  });
  return ortPromise.then((ort) => {
    if (!configured) {
      configured = true;
      ort.env.logLevel = options.logLevel ?? 'error';
      ort.env.wasm.numThreads = options.numThreads ?? defaultThreadCount();
      if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths as Ort.Env.WasmPrefixOrFilePaths;
      if (options.wasmBinary) ort.env.wasm.wasmBinary = options.wasmBinary;
      if (options.webgpuDevice) ort.env.webgpu.device = options.webgpuDevice;
    }
    return ort;
  });
}

/** The GPUDevice ORT's WebGPU EP uses, once a WebGPU session exists. */
export async function ortWebGpuDevice(ort: OrtModule): Promise<GPUDevice | null> {
  try {
    return ((await ort.env.webgpu.device) as GPUDevice | undefined) ?? null;
  } catch {
    return null;
  }
}
