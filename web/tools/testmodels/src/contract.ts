/**
 * The I/O contract of the generated `test-tiny-sd` model: the same names,
 * ranks and dtypes as the production SD-Turbo ONNX files (ORT-web demo style:
 * fp32 graph I/O in both variants), with tiny widths.
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
 * Graph inputs and outputs of both variants (fp16 variants also take and give
 * float32: ORT-web demo style), with the symbolic dimension names the
 * production ORT files use (`batch`, `channels`, `height`, `width`, `sequence`).
 */
export const GRAPH_IO = {
  text_encoder: {
    inputs: [{ name: 'input_ids', type: 'int32', shape: ['batch', TEXT_MAX_LENGTH] }],
    outputs: [{ name: 'last_hidden_state', type: 'float32', shape: ['batch', TEXT_MAX_LENGTH, TEXT_HIDDEN_SIZE] }],
  },
  unet: {
    inputs: [
      { name: 'sample', type: 'float32', shape: ['batch', 'channels', 'height', 'width'] },
      { name: 'timestep', type: 'int64', shape: [1] },
      { name: 'encoder_hidden_states', type: 'float32', shape: ['batch', 'sequence', TEXT_HIDDEN_SIZE] },
    ],
    outputs: [{ name: 'out_sample', type: 'float32', shape: ['batch', LATENT_CHANNELS, 'height', 'width'] }],
  },
  vae_decoder: {
    inputs: [{ name: 'latent_sample', type: 'float32', shape: ['batch', 'channels', 'height', 'width'] }],
    outputs: [{ name: 'sample', type: 'float32', shape: ['batch', 3, 'height_out', 'width_out'] }],
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
