/**
 * Dawn (the `webgpu` npm package) in Node over lavapipe: an adapter with
 * `shader-f16`, patched so onnxruntime-web's WebGPU EP works there, with every
 * WebGPU validation error recorded.
 */
import { create, globals } from 'webgpu';
import { assertLavapipeEnvironment, type LavapipePaths, lavapipePaths } from './lavapipe.js';

/** A WebGPU error seen while the harness was watching. */
export interface RecordedGpuError {
  readonly source: 'uncapturederror' | 'device-lost' | 'console';
  readonly message: string;
}

/** The Dawn GPU of this process. */
export interface DawnGpu {
  /** A `navigator.gpu` stand-in (Dawn's `GPU` object). */
  readonly gpu: GPU;
  /** The adapter the GPU was checked with (already consumed: use {@link DawnGpu.requestDevice} for devices). */
  readonly adapter: GPUAdapter;
  /** `adapter.info` fields (vendor, architecture, device, description). */
  readonly adapterInfo: { readonly vendor: string; readonly architecture: string; readonly device: string; readonly description: string };
  readonly hasShaderF16: boolean;
  /** Every error recorded since the process created the GPU (see {@link withDawnGpu}). */
  readonly errors: readonly RecordedGpuError[];
  /**
   * A new device (from a new adapter) with `shader-f16` (when present) and
   * the adapter's buffer and workgroup limits; errors on it are recorded.
   */
  requestDevice(): Promise<GPUDevice>;
}

/** Options of {@link getDawnGpu}. */
export interface DawnGpuOptions {
  /** Fail unless the adapter has `shader-f16`. Default true. */
  readonly requireShaderF16?: boolean;
  /** Which lavapipe; default the repo cache. */
  readonly lavapipe?: LavapipePaths;
}

/** Thrown when Dawn offers no adapter, or one without `shader-f16` when it is required. */
export class DawnAdapterError extends Error {
  override readonly name = 'DawnAdapterError';
}

const errors: RecordedGpuError[] = [];
let patched = false;
let instance: Promise<DawnGpu> | null = null;

/** Records an error (also used by {@link withDawnGpu}'s console watch). */
export function recordGpuError(error: RecordedGpuError): void {
  errors.push(error);
}

/** Attaches error listeners to a device (devices from {@link DawnGpu.requestDevice} and ORT's own have them already). */
export function watchDevice(device: GPUDevice): GPUDevice {
  device.addEventListener('uncapturederror', (event) => {
    recordGpuError({ source: 'uncapturederror', message: (event as GPUUncapturedErrorEvent).error.message });
  });
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') recordGpuError({ source: 'device-lost', message: `${info.reason}: ${info.message}` });
  });
  return device;
}

/**
 * Patches Dawn's prototypes once per process:
 * - `GPUQueue.writeBuffer` copies SharedArrayBuffer-backed data (ORT-web's wasm
 *   heap is shared; Dawn's binding rejects or misreads such views);
 * - `GPUAdapter.requestDevice` watches every device it creates, including the
 *   one ORT-web creates itself.
 */
function patchPrototypes(): void {
  if (patched) return;
  patched = true;
  Object.assign(globalThis, globals);
  const queueProto = (globals as unknown as { GPUQueue: { prototype: GPUQueue } }).GPUQueue.prototype;
  const writeBuffer = queueProto.writeBuffer;
  queueProto.writeBuffer = function (this: GPUQueue, buffer: GPUBuffer, offset: number, data: AllowSharedBufferSource, dataOffset?: number, size?: number) {
    let copy: AllowSharedBufferSource = data;
    if (data instanceof SharedArrayBuffer) copy = new Uint8Array(data).slice().buffer;
    else if (ArrayBuffer.isView(data) && data.buffer instanceof SharedArrayBuffer) {
      copy = data instanceof DataView ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() : (data as Uint8Array).slice();
    }
    return writeBuffer.call(this, buffer, offset, copy as BufferSource, dataOffset, size);
  } as GPUQueue['writeBuffer'];
  const adapterProto = (globals as unknown as { GPUAdapter: { prototype: GPUAdapter } }).GPUAdapter.prototype;
  const requestDevice = adapterProto.requestDevice;
  adapterProto.requestDevice = async function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
    return watchDevice(await requestDevice.call(this, descriptor));
  };
}

async function createDawnGpu(options: DawnGpuOptions): Promise<DawnGpu> {
  assertLavapipeEnvironment(options.lavapipe ?? lavapipePaths());
  patchPrototypes();
  const gpu = create([]) as unknown as GPU;
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new DawnAdapterError('Dawn found no WebGPU adapter over lavapipe (is VK_ICD_FILENAMES pointing at lvp_icd.json?)');
  const hasShaderF16 = adapter.features.has('shader-f16');
  if ((options.requireShaderF16 ?? true) && !hasShaderF16) throw new DawnAdapterError('the Dawn adapter has no shader-f16 (Mesa 25 lavapipe expected)');
  const info = adapter.info;
  const limits = adapter.limits;
  const limitNames = [
    'maxBufferSize',
    'maxStorageBufferBindingSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupSizeY',
    'maxComputeWorkgroupSizeZ',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBuffersPerShaderStage',
  ] as const;
  const requiredLimits: Record<string, number> = {};
  for (const name of limitNames) requiredLimits[name] = limits[name];
  const features = (['shader-f16', 'subgroups', 'timestamp-query'] as const).filter((f) => adapter.features.has(f));
  return {
    gpu,
    adapter,
    adapterInfo: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
    hasShaderF16,
    errors,
    // A WebGPU adapter creates one device only: each device comes from a fresh adapter.
    requestDevice: async () => {
      const fresh = await gpu.requestAdapter();
      if (!fresh) throw new DawnAdapterError('Dawn found no WebGPU adapter for a new device');
      return fresh.requestDevice({ requiredFeatures: features, requiredLimits });
    },
  };
}

/**
 * The process's Dawn GPU over lavapipe (created on first call; onnxruntime-web
 * binds to one device per process, so there is one GPU too). Needs the
 * process started with {@link lavapipeEnv}.
 */
export function getDawnGpu(options: DawnGpuOptions = {}): Promise<DawnGpu> {
  instance ??= createDawnGpu(options).catch((error: unknown) => {
    instance = null;
    throw error;
  });
  return instance;
}
