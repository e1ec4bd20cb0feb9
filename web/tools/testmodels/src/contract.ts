/**
 * The I/O contract of the generated `test-tiny-sd` model: the tensor names,
 * dimension names, dtypes, Cast wrapping and opset of the published SD-Turbo
 * ONNX files (fp32 graph I/O in both variants), with tiny widths.
 */

/** Model id: the folder name in the output dir, OPFS and the mirror. */
export const TEST_MODEL_ID = 'test-tiny-sd';

/** Width D of the text encoder's hidden states (`last_hidden_state` is [batch, 77, D]). */
export const TEXT_HIDDEN_SIZE = 32;
/** Tokens per prompt (CLIP's context length). */
export const TEXT_MAX_LENGTH = 77;
/** Padding token id (SD 2.x pads with id 0, the token `!`). */
export const PAD_TOKEN_ID = 0;
/** Latent channels of the UNet and the VAE decoder. */
export const LATENT_CHANNELS = 4;
/** The VAE decoder upsamples latents by this factor (three 2x Resizes). */
export const VAE_SCALE_FACTOR = 8;
/** SD's VAE scaling factor (the engine divides x0 by it before the decoder). */
export const VAE_SCALING_FACTOR = 0.18215;
/** Default image size in pixels for the tiny model (8x8 latents). */
export const DEFAULT_SIZE = 64;

/** One graph input or output: name, element type and shape (numbers fixed, strings symbolic). */
export interface TensorSpec {
  readonly name: string;
  readonly type: 'float32' | 'int32' | 'int64';
  readonly shape: readonly (number | string)[];
}

/**
 * Graph inputs and outputs of both variants, as the published SD-Turbo ONNX
 * files (`schmuell/sd-turbo-ort-web`) declare them: optimum's export
 * (`optimum-cli export onnx`, opset 14) with its dimension names, ORT's
 * fp16 conversion, then `onnx-wrap-fp16.py` putting every float16 graph input
 * and output behind a Cast, so the fp16 variant also takes and gives float32.
 * `input_ids` is int32 and `timestep` int64 [steps]; the text encoder also
 * outputs `pooler_output` (the hidden state at the end-of-text token).
 * Optimum leaves the hidden width fixed. Tensor names and dimension names are
 * the real files' (the test model only has tiny widths).
 */
export const GRAPH_IO = {
  text_encoder: {
    inputs: [{ name: 'input_ids', type: 'int32', shape: ['batch_size', 'sequence_length'] }],
    outputs: [
      { name: 'last_hidden_state', type: 'float32', shape: ['batch_size', 'sequence_length', TEXT_HIDDEN_SIZE] },
      { name: 'pooler_output', type: 'float32', shape: ['batch_size', TEXT_HIDDEN_SIZE] },
    ],
  },
  unet: {
    inputs: [
      { name: 'sample', type: 'float32', shape: ['batch_size', 'num_channels', 'height', 'width'] },
      { name: 'timestep', type: 'int64', shape: ['steps'] },
      { name: 'encoder_hidden_states', type: 'float32', shape: ['batch_size', 'sequence_length', TEXT_HIDDEN_SIZE] },
    ],
    outputs: [{ name: 'out_sample', type: 'float32', shape: ['batch_size', 'num_channels', 'height', 'width'] }],
  },
  vae_decoder: {
    inputs: [{ name: 'latent_sample', type: 'float32', shape: ['batch_size', 'num_channels_latent', 'height_latent', 'width_latent'] }],
    outputs: [{ name: 'sample', type: 'float32', shape: ['batch_size', 'num_channels', 'height', 'width'] }],
  },
} as const satisfies Record<string, { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] }>;

/** Weight variants written by the generator: folder name -> weight precision. */
export const PRECISIONS = ['fp32', 'fp16'] as const;
/** One of {@link PRECISIONS}. */
export type Precision = (typeof PRECISIONS)[number];

/** Roles of the ONNX files (manifest `role`), which are also their folder names. */
export const GRAPH_ROLES = ['text_encoder', 'unet', 'vae_decoder'] as const;
/** One of {@link GRAPH_ROLES}. */
export type GraphRole = (typeof GRAPH_ROLES)[number];
