/**
 * The tiny decoder (TAESD architecture, madebyollin/taesd, MIT) at a small
 * width, with the same contract as the ONNX that `hybridgen models pull`
 * converts from the published TAESD weights (`internal/taesd`):
 * `latent_sample` float32 [1, 4, height_latent, width_latent] (the UNet's x0,
 * unscaled: no division by 0.18215) -> `sample` float32 [1, 3, height, width]
 * (8x) in [0, 1]. Same ops in the same order: Mul-Tanh-Mul (soft clamp
 * tanh(x/3)*3), Conv + Relu, residual Blocks (Conv-Relu-Conv-Relu-Conv, Add,
 * Relu), three nearest 2x Resizes each followed by a bias-free Conv, a last
 * Block, Conv to RGB and Clip. Weights are fp32 in every variant, like the
 * converted file, and are named as in TAESD's state dict (`3.conv.0.weight`).
 */

import { LATENT_CHANNELS, type TensorSpec } from '../contract.js';
import { GraphBuilder } from '../onnx-builder.js';
import { Rng } from '../prng.js';
import { upsample2x } from './layers.js';

/** Width of the layers (the published decoder has 64). */
export const TINY_DECODER_WIDTH = 8;

/** The tiny decoder's I/O, as `internal/taesd` writes it for the real weights. */
export const TINY_DECODER_IO = {
  inputs: [{ name: 'latent_sample', type: 'float32', shape: [1, LATENT_CHANNELS, 'height_latent', 'width_latent'] }],
  outputs: [{ name: 'sample', type: 'float32', shape: [1, 3, 'height', 'width'] }],
} as const satisfies { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] };

/** Indices in TAESD's nn.Sequential of the residual blocks, and of the convs after each upsample. */
const BLOCK_GROUPS = [
  [3, 4, 5],
  [8, 9, 10],
  [13, 14, 15],
] as const;
const UPSAMPLE_CONVS = [7, 12, 17] as const;
const LAST_BLOCK = 18;

/** Options of {@link conv}. */
export interface TinyConvOptions {
  readonly bias?: boolean;
  /** Stride of both axes (default 1; the encoder downsamples with 2). */
  readonly stride?: number;
  /** Scales the 1/sqrt(fan_in) weight std (default 1: the residual sums grow anyway). */
  readonly gain?: number;
  readonly biasMean?: number;
}

/** A 3x3 convolution with padding 1, weights named `<prefix>.weight` / `<prefix>.bias`. */
export function conv(b: GraphBuilder, x: string, inChannels: number, outChannels: number, prefix: string, options: TinyConvOptions = {}): string {
  const std = (options.gain ?? 1) / Math.sqrt(inChannels * 9);
  const inputs = [x, b.weight(`${prefix}.weight`, [outChannels, inChannels, 3, 3], std)];
  if (options.bias !== false) inputs.push(b.weight(`${prefix}.bias`, [outChannels], 0.02, options.biasMean ?? 0));
  return b.op('Conv', inputs, { dilations: [1, 1], group: 1, kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [options.stride ?? 1, options.stride ?? 1] });
}

/** TAESD's Block(C, C): relu(conv(relu(conv(relu(conv(x))))) + x). */
export function block(b: GraphBuilder, x: string, width: number, index: number): string {
  let h = b.op('Relu', [conv(b, x, width, width, `${index}.conv.0`)]);
  h = b.op('Relu', [conv(b, h, width, width, `${index}.conv.2`)]);
  h = conv(b, h, width, width, `${index}.conv.4`, { gain: 0.5 });
  return b.op('Relu', [b.op('Add', [h, x])]);
}

/** The opset `hybridgen models pull`'s converter (internal/taesd) writes. */
export const TINY_DECODER_OPSET = 17;

/** Builds the tiny decoder graph (always fp32, opset 17 as the converted file). */
export function buildTinyDecoder(seed: number): GraphBuilder {
  const width = TINY_DECODER_WIDTH;
  const b = new GraphBuilder('tiny_decoder', 'fp32', Rng.forName(seed, 'tiny_decoder'), TINY_DECODER_OPSET);
  const [latent = ''] = b.declare(TINY_DECODER_IO);
  const clamped = b.op('Mul', [b.op('Tanh', [b.op('Mul', [latent, b.constant([1 / 3], [])])]), b.constant([3], [])]);
  let x = b.op('Relu', [conv(b, clamped, LATENT_CHANNELS, width, '1')]);
  BLOCK_GROUPS.forEach((group, i) => {
    for (const index of group) x = block(b, x, width, index);
    x = conv(b, upsample2x(b, x), width, width, String(UPSAMPLE_CONVS[i]), { bias: false });
  });
  x = block(b, x, width, LAST_BLOCK);
  const rgb = conv(b, x, width, 3, '19', { gain: 0.4, biasMean: 0.5 });
  b.op('Clip', [rgb, b.constant([0], []), b.constant([1], [])], {}, 'sample');
  return b;
}
