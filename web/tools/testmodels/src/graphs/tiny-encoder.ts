/**
 * The tiny encoder (TAESD's Encoder, madebyollin/taesd, MIT) at a small
 * width, with the contract of the ONNX that `hybridgen models pull` converts
 * from the published `taesd_encoder.pth` (`internal/taesd`): `sample` float32
 * [1, 3, height, width], RGB in [0, 1] -> `latent_sample` float32
 * [1, 4, height/8, width/8], latents in the UNet's scale (no 0.18215). Same
 * layer list: conv(3, C), Block, three times (stride-2 conv without bias,
 * three Blocks), conv(C, 4); ops Conv, Relu, Add, Identity. fp32 in every
 * variant; weights named as in TAESD's state dict.
 */

import { LATENT_CHANNELS, type TensorSpec } from '../contract.js';
import { GraphBuilder } from '../onnx-builder.js';
import { Rng } from '../prng.js';
import { block, conv, TINY_DECODER_OPSET, TINY_DECODER_WIDTH } from './tiny-decoder.js';

/** The tiny encoder's I/O, as `internal/taesd` writes it for the real weights. */
export const TINY_ENCODER_IO = {
  inputs: [{ name: 'sample', type: 'float32', shape: [1, 3, 'height', 'width'] }],
  outputs: [{ name: 'latent_sample', type: 'float32', shape: [1, LATENT_CHANNELS, 'height_latent', 'width_latent'] }],
} as const satisfies { inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] };

/** Indices in TAESD's Encoder nn.Sequential: each stride-2 conv and the Blocks after it. */
const DOWN_GROUPS = [
  [2, 3, 4, 5],
  [6, 7, 8, 9],
  [10, 11, 12, 13],
] as const;

/** Builds the tiny encoder graph (fp32, opset 17 as the converted file). */
export function buildTinyEncoder(seed: number): GraphBuilder {
  const width = TINY_DECODER_WIDTH;
  const b = new GraphBuilder('tiny_encoder', 'fp32', Rng.forName(seed, 'tiny_encoder'), TINY_DECODER_OPSET);
  const [image = ''] = b.declare(TINY_ENCODER_IO);
  let x = block(b, conv(b, image, 3, width, '0', { gain: 2 }), width, 1);
  for (const [down, ...blocks] of DOWN_GROUPS) {
    x = conv(b, x, width, width, String(down), { bias: false, stride: 2, gain: 1.4 });
    for (const index of blocks) x = block(b, x, width, index);
  }
  b.op('Identity', [conv(b, x, width, LATENT_CHANNELS, '14', { gain: 1 })], {}, 'latent_sample');
  return b;
}
