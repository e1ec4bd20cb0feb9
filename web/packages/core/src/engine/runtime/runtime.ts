/**
 * onnxruntime-web, loaded lazily from `onnxruntime-web/webgpu` (the native
 * WebGPU execution provider plus the WASM one, in one asyncify build). Never
 * the package's default export: its JSEP WebGPU backend runs fp16 graphs
 * silently wrong on devices without `shader-f16`.
 */

import type * as Ort from 'onnxruntime-web/webgpu';
import { defaultWasmThreads } from '../../backend/wasm-threads.js';

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

/**
 * Default WASM thread count here: {@link defaultWasmThreads} of the core count
 * when cross-origin isolated, else 1; never more than 1 on a window's main
 * thread, where ORT's pthread pool blocks (use the worker engine there).
 */
export function defaultThreadCount(): number {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const onMainThread = typeof (globalThis as { document?: unknown }).document !== 'undefined';
  if (onMainThread || !isolated) return 1;
  return defaultWasmThreads(globalThis.navigator?.hardwareConcurrency);
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
