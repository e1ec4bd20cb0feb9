/**
 * The tiny VAE decoder: post_quant_conv, conv_in, a mid block (ResBlock,
 * single-head self-attention at the lowest resolution, ResBlock), three up
 * blocks each ending in a nearest 2x Resize + conv, a last ResBlock, and
 * GN/SiLU/conv_out. `latent_sample` [batch_size, 4, h, w] -> `sample`
 * [batch_size, 3, 8h, 8w], roughly in [-1, 1].
 */

import type { Precision } from '../contract.js';
import { GRAPH_IO, LATENT_CHANNELS } from '../contract.js';
import { GraphBuilder } from '../onnx-builder.js';
import { Rng } from '../prng.js';
import { attention, conv2d, fromTokens, groupNorm, resBlock, silu, toTokens, upsample2x } from './layers.js';

/** Shape parameters of the VAE decoder. `upChannels[i]` is the width after up block i. */
export const VAE_DECODER_CONFIG = { midChannels: 32, upChannels: [32, 32, 16, 16], groups: 8, outGain: 0.6 } as const;

/** Builds the VAE decoder graph. */
export function buildVaeDecoder(precision: Precision, seed: number): GraphBuilder {
  const { midChannels, upChannels, groups, outGain } = VAE_DECODER_CONFIG;
  const b = new GraphBuilder('vae_decoder', precision, Rng.forName(seed, 'vae_decoder'));
  const [latent = ''] = b.declare(GRAPH_IO.vae_decoder);

  let x = conv2d(b, b.inputToCompute(latent), LATENT_CHANNELS, LATENT_CHANNELS, 'post_quant_conv', { kernel: 1 });
  x = conv2d(b, x, LATENT_CHANNELS, midChannels, 'decoder.conv_in');
  x = resBlock(b, x, 'decoder.mid_block.resnets.0', { inChannels: midChannels, outChannels: midChannels, groups });
  const { tokens, shape } = toTokens(b, groupNorm(b, x, midChannels, groups, 'decoder.mid_block.attentions.0.group_norm', 1e-6));
  const attended = attention(b, tokens, tokens, 'decoder.mid_block.attentions.0', { channels: midChannels, heads: 1 });
  x = b.op('Add', [x, fromTokens(b, attended, shape)]);
  x = resBlock(b, x, 'decoder.mid_block.resnets.1', { inChannels: midChannels, outChannels: midChannels, groups });

  let channels: number = midChannels;
  upChannels.forEach((out, i) => {
    x = resBlock(b, x, `decoder.up_blocks.${i}.resnets.0`, { inChannels: channels, outChannels: out, groups });
    channels = out;
    if (i < upChannels.length - 1) x = conv2d(b, upsample2x(b, x), out, out, `decoder.up_blocks.${i}.upsamplers.0.conv`);
  });

  const out = conv2d(b, silu(b, groupNorm(b, x, channels, groups, 'decoder.conv_norm_out', 1e-6)), channels, 3, 'decoder.conv_out', { gain: outGain });
  b.graphOutput(out, 'sample');
  return b;
}
