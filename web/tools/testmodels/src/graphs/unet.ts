/**
 * The tiny UNet: sinusoidal timestep embedding + MLP, conv_in, a down path
 * (ResBlock, strided conv, ResBlock), a mid block with spatial self-attention
 * and cross-attention to `encoder_hidden_states` (both in the published
 * export's form, ./attention.ts), an up path (nearest 2x,
 * conv, skip Concat, ResBlock) and GN/SiLU/conv_out.
 * `sample` [batch_size, num_channels, height, width] (height and width even),
 * `timestep` int64 [steps] (1, or one per sample), `encoder_hidden_states`
 * [batch_size, sequence_length, D] -> `out_sample` of the sample's shape.
 */

import type { Precision } from '../contract.js';
import { GRAPH_IO, LATENT_CHANNELS, TEXT_HIDDEN_SIZE } from '../contract.js';
import { GraphBuilder, ONNX_DATA_TYPE } from '../onnx-builder.js';
import { Rng } from '../prng.js';
import { exportedAttention } from './attention.js';
import { conv2d, fromTokens, gelu, groupNorm, layerNorm, linear, resBlock, silu, toTokens, upsample2x } from './layers.js';

/** Shape parameters of the UNet. */
export const UNET_CONFIG = { channels: [32, 64], groups: 8, heads: 2, timeProjDim: 32, timeEmbedDim: 64 } as const;

/** Builds the UNet graph. */
export function buildUnet(precision: Precision, seed: number): GraphBuilder {
  const { groups, heads, timeProjDim, timeEmbedDim } = UNET_CONFIG;
  const [c0, c1] = UNET_CONFIG.channels;
  const b = new GraphBuilder('unet', precision, Rng.forName(seed, 'unet'));
  const [sample = '', timestep = '', encoderHiddenStates = ''] = b.declare(GRAPH_IO.unet);
  const x0 = b.inputToCompute(sample);
  const context = b.inputToCompute(encoderHiddenStates);

  // Timestep embedding: computed in float32 (as diffusers does), then cast to the compute type.
  const half = timeProjDim / 2;
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  // diffusers: timesteps.expand(sample.shape[0]), then the sinusoidal embedding.
  const batch = b.op('Slice', [b.op('Shape', [x0]), b.constantI64([0]), b.constantI64([1])]);
  const perSample = b.op('Expand', [timestep, batch]); // [batch_size]
  const t = b.op('Unsqueeze', [b.op('Cast', [perSample], { to: ONNX_DATA_TYPE.float32 }), b.constantI64([1])]); // [batch_size,1]
  const args = b.op('Mul', [t, b.constantF32(freqs, [1, half])]); // [batch_size,half]
  const proj = b.toCompute(b.op('Concat', [b.op('Cos', [args]), b.op('Sin', [args])], { axis: 1 })); // flip_sin_to_cos
  const temb = linear(b, silu(b, linear(b, proj, timeProjDim, timeEmbedDim, 'time_embedding.linear_1')), timeEmbedDim, timeEmbedDim, 'time_embedding.linear_2');
  const time = { tensor: temb, features: timeEmbedDim };

  let x = conv2d(b, x0, LATENT_CHANNELS, c0, 'conv_in');
  const skip = resBlock(b, x, 'down_blocks.0.resnets.0', { inChannels: c0, outChannels: c0, groups, temb: time });
  x = conv2d(b, skip, c0, c0, 'down_blocks.0.downsamplers.0.conv', { stride: 2 });
  x = resBlock(b, x, 'down_blocks.1.resnets.0', { inChannels: c0, outChannels: c1, groups, temb: time });

  x = transformerBlock(b, x, context, 'mid_block.attentions.0', { channels: c1, groups, heads });
  x = resBlock(b, x, 'mid_block.resnets.0', { inChannels: c1, outChannels: c1, groups, temb: time });

  x = conv2d(b, upsample2x(b, x), c1, c1, 'up_blocks.0.upsamplers.0.conv');
  x = b.op('Concat', [x, skip], { axis: 1 });
  x = resBlock(b, x, 'up_blocks.1.resnets.0', { inChannels: c1 + c0, outChannels: c0, groups, temb: time });

  const out = conv2d(b, silu(b, groupNorm(b, x, c0, groups, 'conv_norm_out')), c0, LATENT_CHANNELS, 'conv_out');
  b.graphOutput(out, 'out_sample');
  return b;
}

/** Transformer2DModel with one BasicTransformerBlock: self-attention, cross-attention, GELU feed-forward. */
function transformerBlock(b: GraphBuilder, x: string, context: string, name: string, options: { channels: number; groups: number; heads: number }): string {
  const { channels, groups, heads } = options;
  const h = conv2d(b, groupNorm(b, x, channels, groups, `${name}.norm`, 1e-6), channels, channels, `${name}.proj_in`, { kernel: 1 });
  const { tokens, shape } = toTokens(b, h);
  const p = `${name}.transformer_blocks.0`;
  const n1 = layerNorm(b, tokens, channels, `${p}.norm1`);
  let t = b.op('Add', [tokens, exportedAttention(b, n1, n1, `${p}.attn1`, { channels, heads })]);
  const n2 = layerNorm(b, t, channels, `${p}.norm2`);
  t = b.op('Add', [t, exportedAttention(b, n2, context, `${p}.attn2`, { channels, contextChannels: TEXT_HIDDEN_SIZE, heads })]);
  const n3 = layerNorm(b, t, channels, `${p}.norm3`);
  const ff = linear(b, gelu(b, linear(b, n3, channels, channels * 4, `${p}.ff.proj_in`)), channels * 4, channels, `${p}.ff.proj_out`);
  t = b.op('Add', [t, ff]);
  const out = conv2d(b, fromTokens(b, t, shape), channels, channels, `${name}.proj_out`, { kernel: 1 });
  return b.op('Add', [x, out]);
}
