/**
 * Loading a model on one backend ({@link loadOn}) and trying backends in
 * order ({@link loadInOrder}), the shape of onnxruntime-web's
 * `resolveBackendAndExecutionProviders`: each candidate is tried, a failure
 * is recorded as a fallback to the next, and a fatal one (an abort, a bad
 * request, the last candidate) ends the loop.
 */

import type { InferenceSession } from 'onnxruntime-web/webgpu';
import type { Backend } from '../../backend/types.js';
import { throwIfAborted } from '../../rpc/abort.js';
import { EngineError } from '../errors.js';
import { EmbeddingCache } from '../pipeline/embedding-cache.js';
import type { readPipelineConfig } from '../pipeline/pipeline-config.js';
import { ClipTokenizer } from '../tokenizer/tokenizer.js';
import type { BackendFallback, EngineCallOptions, EngineLoadRequest, EngineLoadResult } from '../types.js';
import { lazyEncoderFor } from './lazy-encoder.js';
import { checkContract, type PipelineParts, warmUpPipeline } from './pipeline.js';
import { type OrtModule, ortWebGpuDevice } from './runtime.js';
import { createSessions } from './sessions.js';

/** What every backend's load shares. */
export interface LoadContext extends EngineCallOptions {
  readonly ort: OrtModule;
  readonly request: EngineLoadRequest;
  readonly pipeline: ReturnType<typeof readPipelineConfig>;
  readonly size: number;
  readonly shaderF16: boolean;
  /** The pipeline's runner for a device (null on WASM). */
  readonly runner: (device: GPUDevice | null) => PipelineParts['run'];
  /** Told of the device as soon as sessions exist (a loss during the warm-up counts). */
  readonly watchDevice: (device: GPUDevice | null) => void;
}

/** A model loaded on one backend, before the result is dressed with plan and fallbacks. */
export interface LoadedOn {
  readonly parts: PipelineParts;
  readonly device: GPUDevice | null;
  readonly ioTypes: Readonly<Record<string, string>>;
  readonly timings: Omit<EngineLoadResult['timings'], 'totalMs'>;
}

/** Loads the request's variant for `backend`: sessions, contract check, tokenizer, warm-up. Releases what it made on failure. */
export async function loadOn(backend: Backend, ctx: LoadContext): Promise<LoadedOn> {
  const { ort, request, pipeline, size, signal, onProgress } = ctx;
  const variant = request.model.variants[backend];
  if (!variant) throw new EngineError(`${request.model.id} has no ${backend} variant`);
  const sessionOptions = { variant, source: request.source, backend, pipeline, size, shaderF16: ctx.shaderF16 };
  const loaded = await createSessions(ort, { ...sessionOptions, ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
  let parts: PipelineParts | undefined;
  try {
    const ioTypes = checkContract(loaded.sessions);
    const tokenizer = new ClipTokenizer(loaded.tokenizerFiles, { maxLength: pipeline.textMaxLength, padTokenId: pipeline.padTokenId });
    const device = backend === 'wasm' ? null : await ortWebGpuDevice(ort);
    parts = {
      ort,
      sessions: loaded.sessions,
      embeddings: new EmbeddingCache(),
      tokenizer,
      config: pipeline,
      ioTypes,
      size,
      backend,
      modelId: request.model.id,
      run: ctx.runner(device),
    };
    // The image-to-image encoder loads on its first use, so text-to-image drafts do not pay for it.
    const encoder = lazyEncoderFor(ort, sessionOptions);
    if (encoder) parts = { ...parts, encoder };
    ctx.watchDevice(device);
    const warmStart = performance.now();
    // WebGPU: the throw-away run compiles the shaders, so the first real draft is fast. WASM: it
    // costs a whole draft and makes the next one no faster (BENCHMARKS.md), so it is skipped.
    const warmUp = request.warmUp ?? backend !== 'wasm';
    if (warmUp) {
      onProgress?.({ stage: 'warm-up' });
      throwIfAborted(signal);
      await warmUpPipeline(parts);
    }
    const timings = { readFilesMs: loaded.readFilesMs, createSessionsMs: loaded.createSessionsMs, warmUpMs: warmUp ? performance.now() - warmStart : 0 };
    return { parts, device, ioTypes, timings };
  } catch (error) {
    parts?.embeddings.clear();
    await parts?.encoder?.release();
    await Promise.allSettled(Object.values(loaded.sessions).map((s: InferenceSession) => s.release()));
    throw error;
  }
}

/** Options of {@link loadInOrder}. */
export interface LoadInOrderOptions {
  /** Fallbacks that happened before this loop (a recovery's first try); new ones are appended. */
  readonly fallbacks: BackendFallback[];
  /** Whether `error` on `backend` ends the loop instead of falling back. */
  readonly fatal: (error: unknown, backend: Backend) => boolean;
  /** `Name: message` of an error, for the fallback's reason. */
  readonly describe: (error: unknown) => string;
}

/**
 * Tries `load` on each candidate in order and returns the first success
 * with the backend it ran on. A failure falls back to the next candidate
 * (recorded in `fallbacks`) unless it is fatal or the last; then it is
 * rethrown. With no candidate at all, throws an {@link EngineError}.
 */
export async function loadInOrder<T>(
  candidates: readonly Backend[],
  load: (backend: Backend) => Promise<T>,
  options: LoadInOrderOptions,
): Promise<{ readonly backend: Backend; readonly value: T }> {
  for (const [i, backend] of candidates.entries()) {
    try {
      return { backend, value: await load(backend) };
    } catch (error) {
      const next = candidates[i + 1];
      if (!next || options.fatal(error, backend)) throw error;
      options.fallbacks.push({ from: backend, to: next, reason: options.describe(error) });
    }
  }
  throw new EngineError('no backend to load on', { details: { fallbacks: options.fallbacks } });
}
