/**
 * The SD-Turbo pipeline over the loaded sessions: tokenize -> text encoder
 * (skipped when the prompt's embedding is cached) -> UNet (Euler, 1-4 steps)
 * -> VAE decoder, or the tiny decoder for drafts -> RGBA. I/O element types
 * come from the sessions' metadata (fp32 I/O with fp16 weights, or fp16 I/O).
 */

import type { InferenceSession, Tensor } from 'onnxruntime-web/webgpu';
import type { Backend } from '../../backend/types.js';
import { throwIfAborted } from '../../rpc/abort.js';
import { InvalidRequestError, ModelFormatError } from '../errors.js';
import type { SdTurboPipeline } from '../model.js';
import { EmbeddingCache } from '../pipeline/embedding-cache.js';
import { float32ToHalf, halfToFloat32 } from '../pipeline/half.js';
import { vaeOutputToRgba } from '../pipeline/image.js';
import { addNoise, checkInitImage, img2imgSchedule, rgbaToPlanarUnit } from '../pipeline/img2img.js';
import { gaussianNoise, MAX_SEED, randomSeed } from '../pipeline/prng.js';
import { eulerSchedule, eulerStep, MAX_STEPS, scaleModelInput } from '../pipeline/scheduler.js';
import type { ClipTokenizer } from '../tokenizer/tokenizer.js';
import type { DecoderChoice, EngineGenerateRequest, EngineProgress, GeneratedImage, GenerationTimings, InitImage } from '../types.js';
import { ENCODER_IO, type LazyEncoder } from './lazy-encoder.js';
import type { OrtModule } from './runtime.js';
import type { PipelineSessions } from './sessions.js';

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
  for (const role of Object.keys(NAMES) as (keyof typeof NAMES)[]) {
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
  readonly config: SdTurboPipeline;
  readonly ioTypes: Readonly<Record<string, string>>;
  readonly size: number;
  readonly backend: Backend;
  readonly modelId: string;
  readonly run: SessionRunner;
  /** The tiny encoder of image-to-image, made on first use; absent when the variant has none. */
  readonly encoder?: LazyEncoder;
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
export function normaliseRequest(request: EngineGenerateRequest): { prompt: string; seed: number; steps: number; decoder: DecoderChoice; init?: InitImage } {
  const steps = request.steps ?? 1;
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS)
    throw new InvalidRequestError(`steps must be an integer from 1 to ${MAX_STEPS}, got ${steps}`);
  const seed = request.seed ?? randomSeed();
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new InvalidRequestError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  if (typeof request.prompt !== 'string') throw new InvalidRequestError('prompt must be a string');
  const decoder = request.decoder ?? 'full';
  if (decoder !== 'full' && decoder !== 'tiny') throw new InvalidRequestError(`decoder must be 'full' or 'tiny', got ${String(decoder)}`);
  if (request.init !== undefined) checkInitImage(request.init);
  return { prompt: request.prompt, seed, steps, decoder, ...(request.init ? { init: request.init } : {}) };
}

/** Image-to-image: the init image's latents from the tiny encoder (its session made on first use). */
async function encodeInit(parts: PipelineParts, init: InitImage, options: RunPipelineOptions): Promise<{ latents: Float32Array; ms: number }> {
  if (!parts.encoder) throw new InvalidRequestError('this model has no tiny_encoder: it cannot start from an image');
  const t = performance.now();
  const session = await parts.encoder.get(options.onProgress);
  const input = session.inputMetadata.find((m) => m.name === ENCODER_IO.input);
  const type = input?.isTensor ? String(input.type) : 'float32';
  const pixels = floatTensor(parts.ort, type, rgbaToPlanarUnit(init, parts.size), [1, 3, parts.size, parts.size]);
  const out = await parts.run(session, { [ENCODER_IO.input]: pixels });
  const tensor = out[ENCODER_IO.output] as Tensor;
  const latents = await readFloats(tensor);
  tensor.dispose();
  return { latents, ms: performance.now() - t };
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

/**
 * Runs the UNet from the seed's noise (text-to-image: every step of the schedule) or from the init
 * image's latents noised to its strength (the schedule's tail); returns x0 (the latents at sigma 0)
 * and each step's time.
 */
async function denoise(
  parts: PipelineParts,
  hidden: Tensor,
  seed: number,
  start: { readonly steps: number; readonly init?: { readonly latents: Float32Array; readonly strength: number } },
  options: RunPipelineOptions,
): Promise<{ latents: Float32Array; unetStepMs: number[] }> {
  const { ort, sessions, config, ioTypes, size, run } = parts;
  const latentSize = size / config.vaeScaleFactor;
  const dims = [1, config.latentChannels, latentSize, latentSize];
  const schedule = start.init ? img2imgSchedule(start.steps, start.init.strength) : eulerSchedule(start.steps);
  const steps = schedule.timesteps.length;
  let latents = addNoise(
    start.init?.latents ?? new Float32Array(config.latentChannels * latentSize * latentSize),
    gaussianNoise(seed, config.latentChannels * latentSize * latentSize),
    schedule.initNoiseSigma,
  );
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
  const { prompt, seed, steps, decoder: asked, init } = normaliseRequest(request);
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
  let encoded: { latents: Float32Array; ms: number } | undefined;
  if (init) {
    throwIfAborted(signal);
    onProgress?.({ stage: 'encoder' });
    encoded = await encodeInit(parts, init, options);
  }
  const from = { steps, ...(init && encoded ? { init: { latents: encoded.latents, strength: init.strength } } : {}) };
  const { latents, unetStepMs } = await denoise(parts, text.hidden, seed, from, options);

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
    sessionRunMs: text.ms + (encoded?.ms ?? 0) + unetStepMs.reduce((a, b) => a + b, 0) + decoded.ms,
    totalMs,
    ...(encoded ? { encoderMs: encoded.ms } : {}),
  };
  const image = { width: size, height: size, rgba: decoded.rgba, seed, steps, prompt, decoder, backend: parts.backend, modelId: parts.modelId, timings };
  return init ? { ...image, strength: init.strength } : image;
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
