/**
 * The SD-Turbo pipeline over three loaded sessions: tokenize -> text encoder
 * -> UNet (Euler, 1-4 steps) -> VAE decoder -> RGBA. I/O element types come
 * from the sessions' metadata (fp32 I/O with fp16 weights, or fp16 I/O).
 */

import type { InferenceSession, Tensor } from 'onnxruntime-web/webgpu';
import type { Backend } from '../backend/types.js';
import { throwIfAborted } from './abort.js';
import { InvalidRequestError, ModelFormatError } from './errors.js';
import { float32ToHalf, halfToFloat32 } from './half.js';
import { vaeOutputToRgba } from './image.js';
import type { PipelineConfig } from './model.js';
import { gaussianNoise, MAX_SEED, randomSeed } from './prng.js';
import type { OrtModule } from './runtime.js';
import { eulerSchedule, eulerStep, MAX_STEPS, scaleModelInput } from './scheduler.js';
import type { GraphRole } from './sessions.js';
import type { ClipTokenizer } from './tokenizer.js';
import type { EngineGenerateRequest, EngineProgress, GeneratedImage, GenerationTimings } from './types.js';

/** Tensor names of the production contract. */
const NAMES = {
  text_encoder: { inputs: ['input_ids'], outputs: ['last_hidden_state'] },
  unet: { inputs: ['sample', 'timestep', 'encoder_hidden_states'], outputs: ['out_sample'] },
  vae_decoder: { inputs: ['latent_sample'], outputs: ['sample'] },
} as const;

/** Runs `session.run`; the engine wraps it to time it and to race device loss. */
export type SessionRunner = (session: InferenceSession, feeds: Record<string, Tensor>) => Promise<InferenceSession.ReturnType>;

function elementType(session: InferenceSession, name: string, kind: 'input' | 'output'): string {
  const list = kind === 'input' ? session.inputMetadata : session.outputMetadata;
  const meta = list.find((m) => m.name === name);
  return meta?.isTensor ? String(meta.type) : 'float32';
}

/** Checks the production contract's tensor names; throws {@link ModelFormatError} naming what is missing. */
export function checkContract(sessions: Readonly<Record<GraphRole, InferenceSession>>): Record<string, string> {
  const types: Record<string, string> = {};
  for (const role of Object.keys(NAMES) as GraphRole[]) {
    const session = sessions[role];
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
  readonly sessions: Readonly<Record<GraphRole, InferenceSession>>;
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
export function normaliseRequest(request: EngineGenerateRequest): { prompt: string; seed: number; steps: number } {
  const steps = request.steps ?? 1;
  if (!Number.isInteger(steps) || steps < 1 || steps > MAX_STEPS)
    throw new InvalidRequestError(`steps must be an integer from 1 to ${MAX_STEPS}, got ${steps}`);
  const seed = request.seed ?? randomSeed();
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new InvalidRequestError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  if (typeof request.prompt !== 'string') throw new InvalidRequestError('prompt must be a string');
  return { prompt: request.prompt, seed, steps };
}

/** Makes one image. Checks `signal` before every stage and UNet step. */
export async function runPipeline(parts: PipelineParts, request: EngineGenerateRequest, options: RunPipelineOptions = {}): Promise<GeneratedImage> {
  const { ort, sessions, config, ioTypes, size, run } = parts;
  const { signal, onProgress } = options;
  const { prompt, seed, steps } = normaliseRequest(request);
  const start = performance.now();
  throwIfAborted(signal);

  onProgress?.({ stage: 'tokenize' });
  const t0 = performance.now();
  const { ids } = parts.tokenizer.encode(prompt);
  const tokenizeMs = performance.now() - t0;

  throwIfAborted(signal);
  onProgress?.({ stage: 'text-encoder' });
  const t1 = performance.now();
  const textOut = await run(sessions.text_encoder, { input_ids: new ort.Tensor('int32', ids, [1, config.textMaxLength]) });
  const textEncoderMs = performance.now() - t1;
  const hidden = textOut.last_hidden_state as Tensor;

  const latentSize = size / config.vaeScaleFactor;
  const dims = [1, config.latentChannels, latentSize, latentSize];
  const schedule = eulerSchedule(steps);
  let latents = gaussianNoise(seed, config.latentChannels * latentSize * latentSize);
  for (let i = 0; i < latents.length; i++) latents[i] = (latents[i] ?? 0) * schedule.initNoiseSigma;
  const unetStepMs: number[] = [];
  try {
    for (let i = 0; i < steps; i++) {
      throwIfAborted(signal);
      onProgress?.({ stage: 'unet', step: i + 1, steps });
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
  } finally {
    hidden.dispose();
  }

  throwIfAborted(signal);
  onProgress?.({ stage: 'vae' });
  const vaeInput = new Float32Array(latents.length);
  for (let i = 0; i < latents.length; i++) vaeInput[i] = (latents[i] ?? 0) / config.vaeScalingFactor;
  const t2 = performance.now();
  const vaeOut = await run(sessions.vae_decoder, { latent_sample: floatTensor(ort, ioTypes['vae_decoder.latent_sample'] ?? 'float32', vaeInput, dims) });
  const vaeMs = performance.now() - t2;
  const sampleTensor = vaeOut.sample as Tensor;
  const pixels = await readFloats(sampleTensor);
  sampleTensor.dispose();
  const rgba = vaeOutputToRgba(pixels, size, size);
  const totalMs = performance.now() - start;
  const timings: GenerationTimings = {
    tokenizeMs,
    textEncoderMs,
    unetStepMs,
    vaeMs,
    sessionRunMs: textEncoderMs + unetStepMs.reduce((a, b) => a + b, 0) + vaeMs,
    totalMs,
  };
  return { width: size, height: size, rgba, seed, steps, prompt, backend: parts.backend, modelId: parts.modelId, timings };
}
