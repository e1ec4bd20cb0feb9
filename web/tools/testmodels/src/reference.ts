/**
 * The Node reference: runs the generated graphs in onnxruntime-node 1.30
 * (CPU execution provider), so browser-side code can be checked against it
 * ("pipeline output equals a Node reference within tolerance").
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { type GraphRole, type Precision, TEXT_MAX_LENGTH } from './contract.js';

/** A float32 tensor as plain data. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/** Inputs of {@link ReferenceRunner.runAll}. */
export interface ReferenceInputs {
  /** Token ids, `77 * batch` values (already padded with id 0). */
  readonly inputIds: Int32Array;
  /** The UNet's `sample` input (already scaled as the scheduler does), [batch, 4, h, w]. */
  readonly sample: FloatTensor;
  /** The UNet's `timestep`, e.g. 999. */
  readonly timestep: number;
  /** The VAE decoder's `latent_sample` (x0 / 0.18215). Default: the UNet's `out_sample`. */
  readonly latentSample?: FloatTensor;
}

/** Every output of one pass through the three graphs. */
export interface ReferenceOutputs {
  /** Text encoder `last_hidden_state` [batch, 77, D]. */
  readonly lastHiddenState: FloatTensor;
  /** UNet `out_sample` [batch, 4, h, w]. */
  readonly outSample: FloatTensor;
  /** VAE decoder `sample` [batch, 3, 8h, 8w], roughly in [-1, 1]. */
  readonly image: FloatTensor;
}

/** Options of {@link ReferenceRunner.create}. */
export interface ReferenceRunnerOptions {
  /** `<outDir>/test-tiny-sd` as written by `generateTestModels`. */
  readonly modelDir: string;
  /** Which weights: `fp32` (default) or `fp16`. */
  readonly precision?: Precision;
  /** Session options passed to onnxruntime-node (default: CPU EP, 1 intra-op thread for repeatable sums). */
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

/** Thrown when an output the contract promises is missing or not float32. */
export class ReferenceOutputError extends Error {
  override readonly name = 'ReferenceOutputError';
}

function toFloatTensor(value: ort.Tensor | undefined, name: string): FloatTensor {
  if (value?.type !== 'float32') throw new ReferenceOutputError(`output ${name} missing or not float32 (got ${value?.type ?? 'nothing'})`);
  return { data: value.data as Float32Array, dims: [...value.dims] };
}

/** The three sessions of one variant of the test model in onnxruntime-node, and the tiny decoder when the folder has it. */
export class ReferenceRunner {
  private constructor(
    private readonly sessions: Readonly<Record<GraphRole, ort.InferenceSession>> & {
      readonly tiny_decoder?: ort.InferenceSession;
      readonly tiny_encoder?: ort.InferenceSession;
    },
  ) {}

  /**
   * Loads `text_encoder`, `unet` and `vae_decoder` of one variant, and the (fp32, shared) `tiny_decoder`
   * when `<modelDir>/tiny_decoder/model.onnx` exists (it is optional, as in a model variant); the same
   * for the `tiny_encoder`.
   */
  static async create(options: ReferenceRunnerOptions): Promise<ReferenceRunner> {
    const precision = options.precision ?? 'fp32';
    const sessionOptions: ort.InferenceSession.SessionOptions = options.sessionOptions ?? { executionProviders: ['cpu'], intraOpNumThreads: 1 };
    const load = (role: GraphRole) => ort.InferenceSession.create(join(options.modelDir, precision, role, 'model.onnx'), sessionOptions);
    const tinyPath = join(options.modelDir, 'tiny_decoder', 'model.onnx');
    const encoderPath = join(options.modelDir, 'tiny_encoder', 'model.onnx');
    const [textEncoder, unet, vaeDecoder, tinyDecoder, tinyEncoder] = await Promise.all([
      load('text_encoder'),
      load('unet'),
      load('vae_decoder'),
      existsSync(tinyPath) ? ort.InferenceSession.create(tinyPath, sessionOptions) : undefined,
      existsSync(encoderPath) ? ort.InferenceSession.create(encoderPath, sessionOptions) : undefined,
    ]);
    return new ReferenceRunner({
      text_encoder: textEncoder,
      unet,
      vae_decoder: vaeDecoder,
      ...(tinyDecoder ? { tiny_decoder: tinyDecoder } : {}),
      ...(tinyEncoder ? { tiny_encoder: tinyEncoder } : {}),
    });
  }

  /** The onnxruntime-node session of one graph (for metadata checks). */
  session(role: GraphRole | 'tiny_decoder' | 'tiny_encoder'): ort.InferenceSession {
    const session = this.sessions[role];
    if (!session) throw new Error(`this model folder has no ${role}`);
    return session;
  }

  /** `input_ids` (77 per batch item) -> `last_hidden_state`. */
  async textEncoder(inputIds: Int32Array): Promise<FloatTensor> {
    if (inputIds.length === 0 || inputIds.length % TEXT_MAX_LENGTH !== 0)
      throw new RangeError(`input_ids must hold a multiple of ${TEXT_MAX_LENGTH} ids, got ${inputIds.length}`);
    const out = await this.sessions.text_encoder.run({ input_ids: new ort.Tensor('int32', inputIds, [inputIds.length / TEXT_MAX_LENGTH, TEXT_MAX_LENGTH]) });
    return toFloatTensor(out.last_hidden_state, 'last_hidden_state');
  }

  /** `sample`, `timestep`, `encoder_hidden_states` -> `out_sample`. */
  async unet(sample: FloatTensor, timestep: number, encoderHiddenStates: FloatTensor): Promise<FloatTensor> {
    const out = await this.sessions.unet.run({
      sample: new ort.Tensor('float32', sample.data, sample.dims),
      timestep: new ort.Tensor('int64', BigInt64Array.of(BigInt(Math.round(timestep))), [1]),
      encoder_hidden_states: new ort.Tensor('float32', encoderHiddenStates.data, encoderHiddenStates.dims),
    });
    return toFloatTensor(out.out_sample, 'out_sample');
  }

  /** `latent_sample` -> `sample` (the image in about [-1, 1]). */
  async vaeDecoder(latentSample: FloatTensor): Promise<FloatTensor> {
    const out = await this.sessions.vae_decoder.run({ latent_sample: new ort.Tensor('float32', latentSample.data, latentSample.dims) });
    return toFloatTensor(out.sample, 'sample');
  }

  /** Tiny decoder: `latent_sample` (the UNet's x0 as it is, no 0.18215 scaling) -> `sample` (the image in [0, 1]). */
  async tinyDecoder(latentSample: FloatTensor): Promise<FloatTensor> {
    const out = await this.session('tiny_decoder').run({ latent_sample: new ort.Tensor('float32', latentSample.data, latentSample.dims) });
    return toFloatTensor(out.sample, 'sample');
  }

  /** Tiny encoder: `sample` (RGB in [0, 1], [1, 3, h, w]) -> `latent_sample` (the UNet's scale, [1, 4, h/8, w/8]). */
  async tinyEncoder(image: FloatTensor): Promise<FloatTensor> {
    const out = await this.session('tiny_encoder').run({ sample: new ort.Tensor('float32', image.data, image.dims) });
    return toFloatTensor(out.latent_sample, 'latent_sample');
  }

  /** Runs the three graphs in order and returns every output. */
  async runAll(inputs: ReferenceInputs): Promise<ReferenceOutputs> {
    const lastHiddenState = await this.textEncoder(inputs.inputIds);
    const outSample = await this.unet(inputs.sample, inputs.timestep, lastHiddenState);
    const image = await this.vaeDecoder(inputs.latentSample ?? outSample);
    return { lastHiddenState, outSample, image };
  }

  /** Releases the native sessions. */
  async release(): Promise<void> {
    await Promise.all(Object.values(this.sessions).map((s) => s.release()));
  }
}

/** Largest absolute difference between two equally long arrays. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

/** Root mean square of an array. */
export function rms(a: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) ** 2;
  return Math.sqrt(sum / Math.max(1, a.length));
}
