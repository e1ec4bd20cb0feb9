/**
 * The SD-Turbo pipeline over the loaded sessions: tokenize -> text encoder
 * (skipped when the prompt's embedding is cached) -> UNet (Euler, 1-4 steps)
 * -> VAE decoder, or the tiny decoder for drafts -> RGBA. I/O element types
 * come from the sessions' metadata (fp32 I/O with fp16 weights, or fp16 I/O).
 */

import type { InferenceSession, Tensor } from 'onnxruntime-web/webgpu';
import type { Backend } from '../backend/types.js';
import { throwIfAborted } from '../rpc/abort.js';
import { EmbeddingCache } from './embedding-cache.js';
import { InvalidRequestError, ModelFormatError } from './errors.js';
import { float32ToHalf, halfToFloat32 } from './half.js';
import { vaeOutputToRgba } from './image.js';
import type { PipelineConfig } from './model.js';
import { gaussianNoise, MAX_SEED, randomSeed } from './prng.js';
import type { OrtModule } from './runtime.js';
import { eulerSchedule, eulerStep, MAX_STEPS, scaleModelInput } from './scheduler.js';
import type { PipelineSessions, SessionRole } from './sessions.js';
import type { ClipTokenizer } from './tokenizer.js';
import type { DecoderChoice, EngineGenerateRequest, EngineProgress, GeneratedImage, GenerationTimings } from './types.js';

/** Tensor names of the production contract. */
const NAMES = {
  text_encoder: { inputs: ['input_ids'], outputs: ['last_hidden_state'] },
  unet: { inputs: ['sample', 'timestep', 'encoder_hidden_states'], outputs: ['out_sample'] },
  vae_decoder: { inputs: ['latent_sample'], outputs: ['sample'] },
  tiny_decoder: { inputs: ['latent_sample'], outputs: ['sample'] },
} as const;

/** Runs `session.run`; the engine wraps it to time it and to race device loss. */
export type SessionRunner = (session: InferenceSession, feeds: Record<string, Tensor>) => Promise<InferenceSession.ReturnType>;

function elementType(session: InferenceSession, name: string, kind: 'input' | 'output'): string {
  const list = kind === 'input' ? session.inputMetadata : session.outputMetadata;
  const meta = list.find((m) => m.name === name);
  return meta?.isTensor ? String(meta.type) : 'float32';
}

/** Checks the production contract's tensor names; throws {@link ModelFormatError} naming what is missing. */
export function checkContract(sessions: PipelineSessions): Record<string, string> {
  const types: Record<string, string> = {};
  for (const role of Object.keys(NAMES) as SessionRole[]) {
    const session = sessions[role];
    if (!session) continue;
    for (const name of NAMES[role].inputs) {
      if (!session.inputNames.includes(name)) throw new ModelFormatError(`${role} has no input ${name} (inputs: ${session.inputNames.join(', ')})`);
      types[`${role}.${name}`] = elementType(session, name, 'input');
    }
    for (const name of NAMES[role].outputs) {
      if (!session.outputNames.includes(name)) throw new ModelFormatError(`${role} has no output ${name} (outputs: ${session.outputNames.join(', ')})`);
      types[`${role}.${name}`] = elementType(session, name, 'output');
    }
  }
  return types;
}

/** Options of one {@link runPipeline} call. */
export interface RunPipelineOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: EngineProgress) => void;
}

/** The loaded parts {@link runPipeline} uses. */
export interface PipelineParts {
  readonly ort: OrtModule;
  readonly sessions: PipelineSessions;
  /** Text embeddings of recent prompts (owned by the loaded model; cleared before its sessions are released). */
  readonly embeddings: EmbeddingCache;
  readonly tokenizer: ClipTokenizer;
  readonly config: PipelineConfig;
  readonly ioTypes: Readonly<Record<string, string>>;
  readonly size: number;
  readonly backend: Backend;
  readonly modelId: string;
  readonly run: SessionRunner;
}

function floatTensor(ort: OrtModule, type: string, values: Float32Array, dims: number[]): Tensor {
  if (type === 'float16') return new ort.Tensor('float16', float32ToHalf(values), dims);
  if (type !== 'float32') throw new ModelFormatError(`unsupported tensor type ${type}`);
  return new ort.Tensor('float32', values, dims);
}

async function readFloats(tensor: Tensor): Promise<Float32Array> {
  const data = await tensor.getData();
  if (data instanceof Float32Array) return data;
  if (data instanceof Uint16Array || tensor.type === 'float16') return halfToFloat32(data as Uint16Array);
  throw new ModelFormatError(`expected a float tensor, got ${tensor.type}`);
}

function timestepTensor(ort: OrtModule, type: string, t: number): Tensor {
  if (type === 'int64') return new ort.Tensor('int64', BigInt64Array.from([BigInt(t)]), [1]);
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from([t]), [1]);
  return floatTensor(ort, type, Float32Array.from([t]), [1]);
}

/** Validates a request and fills in the seed and steps. */
export function normaliseRequest(request: EngineGenerateRequest): { prompt: string; seed: number; steps: number; decoder: DecoderChoice } {
  const steps = request.steps ?? 1;
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS)
    throw new InvalidRequestError(`steps must be an integer from 1 to ${MAX_STEPS}, got ${steps}`);
  const seed = request.seed ?? randomSeed();
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new InvalidRequestError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  if (typeof request.prompt !== 'string') throw new InvalidRequestError('prompt must be a string');
  const decoder = request.decoder ?? 'full';
  if (decoder !== 'full' && decoder !== 'tiny') throw new InvalidRequestError(`decoder must be 'full' or 'tiny', got ${String(decoder)}`);
  return { prompt: request.prompt, seed, steps, decoder };
}

/** The text embedding of `ids`: from the cache, else from the text encoder (then cached). */
async function encodePrompt(parts: PipelineParts, ids: Int32Array): Promise<{ hidden: Tensor; ms: number; cached: boolean }> {
  const key = EmbeddingCache.key(ids);
  const cached = parts.embeddings.get(key);
  if (cached) return { hidden: cached, ms: 0, cached: true };
  const t = performance.now();
  const out = await parts.run(parts.sessions.text_encoder, { input_ids: new parts.ort.Tensor('int32', ids, [1, parts.config.textMaxLength]) });
  const hidden = out.last_hidden_state as Tensor;
  parts.embeddings.set(key, hidden);
  return { hidden, ms: performance.now() - t, cached: false };
}

/** Runs the UNet `steps` times from the seed's noise; returns x0 (the latents at sigma 0) and each step's time. */
async function denoise(
  parts: PipelineParts,
  hidden: Tensor,
  seed: number,
  steps: number,
  options: RunPipelineOptions,
): Promise<{ latents: Float32Array; unetStepMs: number[] }> {
  const { ort, sessions, config, ioTypes, size, run } = parts;
  const latentSize = size / config.vaeScaleFactor;
  const dims = [1, config.latentChannels, latentSize, latentSize];
  const schedule = eulerSchedule(steps);
  let latents = gaussianNoise(seed, config.latentChannels * latentSize * latentSize);
  for (let i = 0; i < latents.length; i++) latents[i] = (latents[i] ?? 0) * schedule.initNoiseSigma;
  const unetStepMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    throwIfAborted(options.signal);
    options.onProgress?.({ stage: 'unet', step: i + 1, steps });
    const sigma = schedule.sigmas[i] ?? 0;
    const modelInput = scaleModelInput(latents, sigma);
    const t = performance.now();
    const out = await run(sessions.unet, {
      sample: floatTensor(ort, ioTypes['unet.sample'] ?? 'float32', modelInput, dims),
      timestep: timestepTensor(ort, ioTypes['unet.timestep'] ?? 'int64', schedule.timesteps[i] ?? 0),
      encoder_hidden_states: hidden,
    });
    unetStepMs.push(performance.now() - t);
    const epsTensor = out.out_sample as Tensor;
    const eps = await readFloats(epsTensor);
    epsTensor.dispose();
    latents = eulerStep(latents, eps, sigma, schedule.sigmas[i + 1] ?? 0, latents);
  }
  return { latents, unetStepMs };
}

/**
 * Decodes x0 to RGBA. The VAE decoder takes x0 / scaling factor and outputs [-1, 1]; the tiny
 * decoder (TAESD conventions) takes x0 as it is and outputs [0, 1].
 */
async function decode(parts: PipelineParts, x0: Float32Array, decoder: DecoderChoice): Promise<{ rgba: Uint8ClampedArray; ms: number }> {
  const { ort, sessions, config, ioTypes, size, run } = parts;
  const latentSize = size / config.vaeScaleFactor;
  const dims = [1, config.latentChannels, latentSize, latentSize];
  const tiny = decoder === 'tiny' && sessions.tiny_decoder;
  const session = tiny ? (sessions.tiny_decoder as InferenceSession) : sessions.vae_decoder;
  const type = ioTypes[tiny ? 'tiny_decoder.latent_sample' : 'vae_decoder.latent_sample'] ?? 'float32';
  let input = x0;
  if (!tiny) {
    input = new Float32Array(x0.length);
    for (let i = 0; i < x0.length; i++) input[i] = (x0[i] ?? 0) / config.vaeScalingFactor;
  }
  const t = performance.now();
  const out = await run(session, { latent_sample: floatTensor(ort, type, input, dims) });
  const ms = performance.now() - t;
  const sampleTensor = out.sample as Tensor;
  const pixels = await readFloats(sampleTensor);
  sampleTensor.dispose();
  return { rgba: vaeOutputToRgba(pixels, size, size, tiny ? 'unit' : 'signed'), ms };
}

/** Makes one image. Checks `signal` before every stage and UNet step. */
export async function runPipeline(parts: PipelineParts, request: EngineGenerateRequest, options: RunPipelineOptions = {}): Promise<GeneratedImage> {
  const { size } = parts;
  const { signal, onProgress } = options;
  const { prompt, seed, steps, decoder: asked } = normaliseRequest(request);
  const decoder: DecoderChoice = asked === 'tiny' && parts.sessions.tiny_decoder ? 'tiny' : 'full';
  const start = performance.now();
  throwIfAborted(signal);

  onProgress?.({ stage: 'tokenize' });
  const t0 = performance.now();
  const { ids } = parts.tokenizer.encode(prompt);
  const tokenizeMs = performance.now() - t0;

  throwIfAborted(signal);
  onProgress?.({ stage: 'text-encoder' });
  const text = await encodePrompt(parts, ids);
  const { latents, unetStepMs } = await denoise(parts, text.hidden, seed, steps, options);

  throwIfAborted(signal);
  onProgress?.({ stage: 'vae' });
  const decoded = await decode(parts, latents, decoder);
  const totalMs = performance.now() - start;
  const timings: GenerationTimings = {
    tokenizeMs,
    textEncoderMs: text.ms,
    textEncoderCached: text.cached,
    unetStepMs,
    vaeMs: decoded.ms,
    sessionRunMs: text.ms + unetStepMs.reduce((a, b) => a + b, 0) + decoded.ms,
    totalMs,
  };
  return { width: size, height: size, rgba: decoded.rgba, seed, steps, prompt, decoder, backend: parts.backend, modelId: parts.modelId, timings };
}

/**
 * One throw-away run of every session (WebGPU: compiles the shaders, so the first real draft is
 * fast): a whole draft with the VAE decoder, then the tiny decoder on its latents when there is one.
 */
export async function warmUpPipeline(parts: PipelineParts): Promise<void> {
  await runPipeline(parts, { prompt: '', seed: 0, steps: 1 });
  if (!parts.sessions.tiny_decoder) return;
  const latentSize = parts.size / parts.config.vaeScaleFactor;
  await decode(parts, new Float32Array(parts.config.latentChannels * latentSize * latentSize), 'tiny');
}
