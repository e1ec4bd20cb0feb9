/**
 * The capability report: what the user's device can do for local inference.
 * Every type here is plain data, safe to `structuredClone` and `JSON.stringify`,
 * so the same report can cross a worker boundary or be sent to the server.
 *
 * @packageDocumentation
 */

/** Why WebGPU cannot be used. */
export type WebGPUUnavailableReason =
  /** `navigator.gpu` does not exist (browser without WebGPU, or disabled). */
  | 'no-navigator-gpu'
  /** The page is not a secure context (WebGPU needs https or localhost). */
  | 'insecure-context'
  /** `requestAdapter()` resolved to `null` (blocklisted GPU, no driver). */
  | 'no-adapter'
  /** `requestAdapter()` threw. */
  | 'request-adapter-failed'
  /** `requestAdapter()` did not settle within the probe timeout. */
  | 'timeout';

/** The adapter limits that decide whether a large model fits. */
export interface WebGPULimits {
  readonly maxBufferSize: number;
  readonly maxStorageBufferBindingSize: number;
  readonly maxComputeWorkgroupStorageSize: number;
  readonly maxComputeInvocationsPerWorkgroup: number;
}

/** Identity of the WebGPU adapter, from `adapter.info`. */
export interface WebGPUAdapterInfo {
  readonly vendor: string;
  readonly architecture: string;
  readonly description: string;
  readonly device: string;
  /** A software (CPU) implementation such as SwiftShader. */
  readonly isFallbackAdapter: boolean;
}

/** WebGPU is usable: the adapter and what it offers. */
export interface WebGPUAvailable {
  readonly available: true;
  readonly adapter: WebGPUAdapterInfo;
  /** Every feature the adapter exposes, sorted. */
  readonly features: readonly string[];
  /** Whether the adapter exposes `shader-f16` (fp16 arithmetic in WGSL). */
  readonly shaderF16: boolean;
  readonly limits: WebGPULimits;
}

/** WebGPU is not usable, and why. */
export interface WebGPUUnavailable {
  readonly available: false;
  readonly reason: WebGPUUnavailableReason;
  /** A sentence for people: what happened. */
  readonly message: string;
}

/** The WebGPU part of the report. */
export type WebGPUReport = WebGPUAvailable | WebGPUUnavailable;

/** The WebAssembly part of the report. */
export interface WasmReport {
  /** `WebAssembly` exists and can compile modules. */
  readonly supported: boolean;
  /** Fixed-width SIMD (128-bit). */
  readonly simd: boolean;
  /**
   * Threads can actually be used: the engine supports shared memory and atomics,
   * `SharedArrayBuffer` exists and the page is cross-origin isolated.
   */
  readonly threads: boolean;
  /** `globalThis.crossOriginIsolated`. */
  readonly crossOriginIsolated: boolean;
  /** `SharedArrayBuffer` is defined. */
  readonly sharedArrayBuffer: boolean;
  /** 64-bit memories validate (lifts the 4 GiB wasm32 limit). */
  readonly memory64: boolean;
}

/** The storage part of the report. */
export interface StorageReport {
  /** The origin private file system (`navigator.storage.getDirectory`) is present. */
  readonly opfs: boolean;
  /** `navigator.storage.estimate()`, or `null` when unavailable. */
  readonly estimate: { readonly quotaBytes: number; readonly usageBytes: number } | null;
  /** `navigator.storage.persisted()`, or `null` when unavailable. */
  readonly persisted: boolean | null;
}

/** Hints about the device that browsers expose (all may be missing). */
export interface DeviceHints {
  /** `navigator.deviceMemory` in GiB (coarse, capped at 8 by browsers), or `null`. */
  readonly deviceMemoryGiB: number | null;
  /** `navigator.hardwareConcurrency`, or `null`. */
  readonly hardwareConcurrency: number | null;
  /** `navigator.onLine`, or `null`. */
  readonly onLine: boolean | null;
  readonly userAgent: string;
}

/** Where the report was collected. */
export type ExecutionContextKind = 'window' | 'dedicated-worker' | 'shared-worker' | 'service-worker' | 'other';

/** Everything {@link detectCapabilities} found. */
export interface CapabilityReport {
  readonly webgpu: WebGPUReport;
  readonly wasm: WasmReport;
  readonly storage: StorageReport;
  readonly device: DeviceHints;
  readonly context: ExecutionContextKind;
  readonly secureContext: boolean;
  /** Probes that hit their timeout, by name. */
  readonly timedOut: readonly string[];
  /** How long detection took, in milliseconds. */
  readonly durationMs: number;
}
