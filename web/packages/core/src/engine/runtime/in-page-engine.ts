/**
 * The engine itself: loads an SD-Turbo variant on the best backend, runs it,
 * unloads it, recovers from device loss. Used directly in a page
 * ({@link createInPageEngine}) or inside the worker ({@link serveEngine}).
 */

import type { InferenceSession } from 'onnxruntime-web/webgpu';
import type { Backend } from '../../backend/types.js';
import { detectCapabilities } from '../../capabilities/detect.js';
import type { CapabilityReport } from '../../capabilities/types.js';
import { isAbortError, throwIfAborted } from '../../rpc/abort.js';
import { DeviceLostError, EngineError, EngineNotLoadedError, InvalidRequestError } from '../errors.js';
import { readPipelineConfig } from '../pipeline/pipeline-config.js';
import type {
  BackendFallback,
  EngineCallOptions,
  EngineDebugAction,
  EngineGenerateRequest,
  EngineLoadRequest,
  EngineLoadResult,
  EngineRecovery,
  EngineState,
  EngineStatus,
  EngineUnloadResult,
  GeneratedImage,
  LocalEngine,
} from '../types.js';
import { type LoadContext, loadInOrder, loadOn } from './load-on.js';
import { type PipelineParts, runPipeline } from './pipeline.js';
import { loadOrt, type OrtModule, ortWebGpuDevice, type RuntimeOptions } from './runtime.js';
import { planBackends } from './select-backend.js';
import { SerialQueue } from './serial-queue.js';
import type { GraphRole } from './sessions.js';

/** Options of {@link createInPageEngine}. */
export interface InPageEngineOptions {
  /** Where ORT's wasm lives, threads. */
  readonly runtime?: RuntimeOptions;
  /** Capability detection (default {@link detectCapabilities}); tests and Node harnesses replace it. */
  readonly detect?: () => Promise<CapabilityReport>;
  /** Told when the GPU device is lost outside a call. */
  readonly onDeviceLost?: (reason: string) => void;
  /** Reported by `status` (`'worker'` inside {@link serveEngine}). */
  readonly host?: 'page' | 'worker';
}

interface Loaded {
  readonly parts: PipelineParts;
  readonly request: EngineLoadRequest;
  readonly result: EngineLoadResult;
  readonly device: GPUDevice | null;
}

function message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The engine that runs where it is created (the page, or the worker's global scope). */
export class InPageEngine implements LocalEngine {
  private readonly queue = new SerialQueue();
  private loaded: Loaded | null = null;
  private lastRequest: EngineLoadRequest | null = null;
  private state: EngineState = 'idle';
  private lost: string | null = null;
  /** What ran on the lost device, for recovery after its sessions were released. */
  private lostFrom: { readonly backend: Backend; readonly request: EngineLoadRequest } | null = null;
  private lastError: string | null = null;
  private ort: OrtModule | null = null;
  private disposed = false;

  constructor(private readonly options: InPageEngineOptions = {}) {}

  load(request: EngineLoadRequest, options: EngineCallOptions = {}): Promise<EngineLoadResult> {
    return this.queue.run(() => this.track(this.doLoad(request, options, []), options.signal), options.signal);
  }

  generate(request: EngineGenerateRequest, options: EngineCallOptions = {}): Promise<GeneratedImage> {
    return this.queue.run(() => this.track(this.doGenerate(request, options), options.signal), options.signal);
  }

  unload(options: EngineCallOptions = {}): Promise<EngineUnloadResult> {
    return this.queue.run(async () => {
      const releasedSessions = await this.release();
      this.state = this.lastRequest ? 'unloaded' : 'idle';
      return { releasedSessions };
    }, options.signal);
  }

  status(_options: EngineCallOptions = {}): Promise<EngineStatus> {
    return Promise.resolve(this.snapshot());
  }

  async debug(action: EngineDebugAction, _options: EngineCallOptions = {}): Promise<void> {
    if (action.kind === 'crash') {
      setTimeout(() => {
        throw new Error('engine crash requested by a test hook');
      });
      return;
    }
    const device = this.loaded?.device ?? (this.ort ? await ortWebGpuDevice(this.ort) : null);
    if (!device) throw new EngineError('no WebGPU device to destroy: the engine is not on WebGPU');
    device.destroy();
    await device.lost;
  }

  dispose(): void {
    this.disposed = true;
    void this.release();
  }

  private snapshot(): EngineStatus {
    const r = this.loaded?.result;
    return {
      state: this.lost ? 'device-lost' : this.state,
      modelId: r?.modelId ?? this.lastRequest?.model.id ?? null,
      backend: r?.backend ?? null,
      size: r?.size ?? null,
      canReload: this.lastRequest !== null,
      host: this.options.host ?? 'page',
      lastError: this.lastError,
    };
  }

  private async track<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await work;
    } catch (error) {
      if (!isAbortError(error, signal)) this.lastError = message(error);
      throw error;
    }
  }

  private async release(options: { keepLost?: boolean } = {}): Promise<number> {
    const loaded = this.loaded;
    this.loaded = null;
    if (!options.keepLost) {
      this.lost = null;
      this.lostFrom = null;
    }
    if (!loaded) return 0;
    loaded.parts.embeddings.clear();
    const sessions = Object.values(loaded.parts.sessions) as InferenceSession[];
    const [encoder] = await Promise.all([loaded.parts.encoder?.release() ?? 0, Promise.allSettled(sessions.map((s) => s.release()))]);
    return sessions.length + encoder;
  }

  private runner(device: GPUDevice | null): PipelineParts['run'] {
    const lost = device?.lost.then((info) => {
      throw new DeviceLostError(`the GPU device was lost during the run: ${info.message || info.reason}`);
    });
    lost?.catch(() => {});
    return (session, feeds) => (lost ? Promise.race([session.run(feeds), lost]) : session.run(feeds));
  }

  private async doLoad(
    request: EngineLoadRequest,
    options: EngineCallOptions,
    inherited: BackendFallback[],
    only?: readonly Backend[],
  ): Promise<EngineLoadResult> {
    if (this.disposed) throw new EngineError('the engine is disposed');
    const start = performance.now();
    throwIfAborted(options.signal);
    const pipeline = readPipelineConfig(request.model.pipeline, request.model.id);
    const size = request.size ?? pipeline.defaultSize;
    const granule = pipeline.vaeScaleFactor * 8;
    if (!Number.isInteger(size) || size < granule || size % granule !== 0)
      throw new InvalidRequestError(`size must be a positive multiple of ${granule}, got ${size}`);
    await this.release();
    this.state = 'loading';
    const caps = await (this.options.detect ?? detectCapabilities)();
    this.ort ??= await loadOrt(this.options.runtime);
    const ort = this.ort;
    // The reasons name the thread count ORT was configured with, not a guess.
    const plan = planBackends(request.model, caps, request.backend ?? 'auto', { wasmThreads: ort.env.wasm.numThreads ?? 1, ...request.choose });
    const candidates = plan.candidates.filter((b) => request.model.variants[b] && (!only || only.includes(b)));
    const ctx: LoadContext = {
      ...options,
      ort,
      request,
      pipeline,
      size,
      shaderF16: caps.webgpu.available && caps.webgpu.shaderF16,
      runner: (device) => this.runner(device),
      watchDevice: (device) => this.watchDevice(device),
    };
    const fallbacks = [...inherited];
    try {
      const { backend, value } = await loadInOrder(candidates, (b) => loadOn(b, ctx), {
        fallbacks,
        // An abort, a bad request or WASM (the last resort) ends the search.
        fatal: (error, b) => isAbortError(error, options.signal) || error instanceof InvalidRequestError || b === 'wasm',
        describe: message,
      });
      const result: EngineLoadResult = {
        modelId: request.model.id,
        backend,
        reasons: plan.reasons,
        rejected: plan.rejected,
        fallbacks,
        size,
        wasmThreads: ort.env.wasm.numThreads ?? 1,
        ioTypes: value.ioTypes,
        timings: { ...value.timings, totalMs: performance.now() - start },
      };
      this.loaded = { parts: value.parts, request, result, device: value.device };
      this.lastRequest = request;
      this.state = 'ready';
      return result;
    } catch (error) {
      if (candidates.length === 0) {
        this.state = 'idle';
        throw new EngineError(`no backend could load ${request.model.id}`, { details: { fallbacks } });
      }
      this.state = this.lastRequest ? 'unloaded' : 'idle';
      throw error;
    }
  }

  private watchDevice(device: GPUDevice | null): void {
    if (!device) return;
    void device.lost.then((info) => {
      const loaded = this.loaded;
      if (loaded?.device !== device) return;
      const reason = info.message || `device lost (${info.reason})`;
      this.lost = reason;
      this.lostFrom = { backend: loaded.result.backend, request: loaded.request };
      this.options.onDeviceLost?.(reason);
      // The sessions are dead: release them now (after any call in flight, which sees the loss itself).
      this.queue
        .run(async () => {
          if (this.loaded?.device === device) await this.release({ keepLost: true });
        })
        .catch(() => {});
    });
  }

  /** After a device loss: reload on the same backend, else fall back to the next one. */
  private async recover(options: EngineCallOptions, reason: string): Promise<EngineRecovery> {
    const from = this.lostFrom?.backend ?? this.loaded?.result.backend ?? 'webgpu-f32';
    const request = this.lostFrom?.request ?? this.loaded?.request ?? this.lastRequest;
    if (!request) throw new EngineNotLoadedError('nothing to recover: no model was loaded');
    await this.release();
    try {
      const result = await this.doLoad({ ...request, warmUp: false }, options, [], [from]);
      return { kind: 'reloaded', from, to: result.backend, reason };
    } catch (reloadError) {
      const result = await this.doLoad({ ...request, backend: 'auto', warmUp: false }, options, [{ from, to: 'wasm', reason: message(reloadError) }], ['wasm']);
      return { kind: 'fell-back', from, to: result.backend, reason };
    }
  }

  private async doGenerate(request: EngineGenerateRequest, options: EngineCallOptions): Promise<GeneratedImage> {
    if (this.disposed) throw new EngineError('the engine is disposed');
    let reloaded = false;
    let recovery: EngineRecovery | undefined;
    if (this.lost) {
      recovery = await this.recover(options, this.lost);
      reloaded = true;
    }
    if (!this.loaded) {
      if (!this.lastRequest) throw new EngineNotLoadedError('no model is loaded: call load() first');
      // The run that follows warms the shaders; a throw-away run would only double the wait.
      await this.doLoad({ ...this.lastRequest, warmUp: false }, options, []);
      reloaded = true;
    }
    const runOnce = async (): Promise<GeneratedImage> => {
      const loaded = this.loaded;
      if (!loaded) throw new EngineNotLoadedError('no model is loaded');
      this.state = 'generating';
      try {
        return await runPipeline(loaded.parts, request, {
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
      } finally {
        this.state = 'ready';
      }
    };
    let image: GeneratedImage;
    try {
      image = await runOnce();
    } catch (error) {
      if (!(error instanceof DeviceLostError) && !this.lost) throw error;
      recovery = await this.recover(options, this.lost ?? message(error));
      reloaded = true;
      image = await runOnce();
    }
    return { ...image, ...(reloaded ? { reloaded } : {}), ...(recovery ? { recovery } : {}) };
  }
}

/** Creates an engine that runs in this thread (tests, Node harnesses; pages should prefer {@link createWorkerEngine}). */
export function createInPageEngine(options: InPageEngineOptions = {}): LocalEngine {
  return new InPageEngine(options);
}

export type { GraphRole };
