/**
 * Building blocks shared by the three test graphs, written the way
 * torch.onnx (opset 17) exports the real diffusers/CLIP modules:
 * Linear = MatMul + Add, GroupNorm = Reshape + InstanceNormalization + Reshape
 * + Mul + Add, SiLU = Sigmoid * x, GELU = the Erf formula, attention =
 * MatMul/Softmax/MatMul over heads.
 */
import type { GraphBuilder } from '../onnx-builder.js';

/** `x @ W + b` over the last axis; W is [inFeatures, outFeatures]. */
export function linear(b: GraphBuilder, x: string, inFeatures: number, outFeatures: number, name: string, options: { bias?: boolean } = {}): string {
  const w = b.weight(`${name}.weight`, [inFeatures, outFeatures], 1 / Math.sqrt(inFeatures));
  const y = b.op('MatMul', [x, w]);
  if (options.bias === false) return y;
  return b.op('Add', [y, b.weight(`${name}.bias`, [outFeatures], 0.02)]);
}

/** LayerNormalization over the last axis (opset 17 op), eps 1e-5. */
export function layerNorm(b: GraphBuilder, x: string, features: number, name: string): string {
  const scale = b.weight(`${name}.weight`, [features], 0.1, 1);
  const bias = b.weight(`${name}.bias`, [features], 0.05);
  return b.op('LayerNormalization', [x, scale, bias], { axis: -1, epsilon: { f: 1e-5 } });
}

/**
 * GroupNorm on NCHW as the real exports write it at opset 17:
 * Reshape to [N, groups, -1], InstanceNormalization, Reshape back, per-channel affine.
 */
export function groupNorm(b: GraphBuilder, x: string, channels: number, groups: number, name: string, eps = 1e-5): string {
  const shape = b.op('Shape', [x]);
  const grouped = b.op('Reshape', [x, b.constantI64([0, groups, -1])]);
  const ones = b.constant(new Array<number>(groups).fill(1));
  const zeros = b.constant(new Array<number>(groups).fill(0));
  const normed = b.op('InstanceNormalization', [grouped, ones, zeros], { epsilon: { f: eps } });
  const restored = b.op('Reshape', [normed, shape]);
  const gamma = b.weight(`${name}.weight`, [channels, 1, 1], 0.1, 1);
  const beta = b.weight(`${name}.bias`, [channels, 1, 1], 0.05);
  return b.op('Add', [b.op('Mul', [restored, gamma]), beta]);
}

/** SiLU (swish): x * sigmoid(x). */
export function silu(b: GraphBuilder, x: string): string {
  return b.op('Mul', [x, b.op('Sigmoid', [x])]);
}

/** Exact GELU: 0.5 * x * (1 + erf(x / sqrt(2))). */
export function gelu(b: GraphBuilder, x: string): string {
  const erf = b.op('Erf', [b.op('Div', [x, b.constant([Math.SQRT2], [])])]);
  const onePlus = b.op('Add', [erf, b.constant([1], [])]);
  return b.op('Mul', [b.op('Mul', [x, onePlus]), b.constant([0.5], [])]);
}

/** Options of {@link conv2d}. */
export interface ConvOptions {
  readonly kernel?: number;
  readonly stride?: number;
  /** Scales the default 1/sqrt(fan_in) weight std (e.g. a small last layer). */
  readonly gain?: number;
}

/** 2-D convolution, NCHW, "same" padding for odd kernels. */
export function conv2d(b: GraphBuilder, x: string, inChannels: number, outChannels: number, name: string, options: ConvOptions = {}): string {
  const k = options.kernel ?? 3;
  const stride = options.stride ?? 1;
  const pad = (k - 1) / 2;
  const std = (options.gain ?? 1) / Math.sqrt(inChannels * k * k);
  const w = b.weight(`${name}.weight`, [outChannels, inChannels, k, k], std);
  const bias = b.weight(`${name}.bias`, [outChannels], 0.02);
  return b.op('Conv', [x, w, bias], { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [stride, stride], dilations: [1, 1], group: 1 });
}

/** Options of {@link attention}. */
export interface AttentionOptions {
  /** Channels of the query sequence (and of the output). */
  readonly channels: number;
  /** Channels of the key/value sequence (default: `channels`). */
  readonly contextChannels?: number;
  readonly heads: number;
  /** A tensor added to the scores, broadcast to [B, heads, S, T] (e.g. a causal mask). */
  readonly mask?: string;
}

/**
 * Multi-head scaled dot-product attention of `query` [B, S, C] over `context`
 * [B, T, Cctx] (self-attention when they are the same), with Q/K/V and output
 * projections. Returns [B, S, C].
 */
export function attention(b: GraphBuilder, query: string, context: string, name: string, options: AttentionOptions): string {
  const { channels, heads } = options;
  const headDim = channels / heads;
  const ctxChannels = options.contextChannels ?? channels;
  const q = linear(b, query, channels, channels, `${name}.to_q`, { bias: false });
  const k = linear(b, context, ctxChannels, channels, `${name}.to_k`, { bias: false });
  const v = linear(b, context, ctxChannels, channels, `${name}.to_v`, { bias: false });
  const splitShape = b.constantI64([0, 0, heads, headDim]);
  const qh = b.op('Transpose', [b.op('Reshape', [q, splitShape])], { perm: [0, 2, 1, 3] }); // [B,h,S,d]
  const kt = b.op('Transpose', [b.op('Reshape', [k, splitShape])], { perm: [0, 2, 3, 1] }); // [B,h,d,T]
  const vh = b.op('Transpose', [b.op('Reshape', [v, splitShape])], { perm: [0, 2, 1, 3] }); // [B,h,T,d]
  let scores = b.op('Mul', [b.op('MatMul', [qh, kt]), b.constant([1 / Math.sqrt(headDim)], [])]);
  if (options.mask) scores = b.op('Add', [scores, options.mask]);
  const probs = b.op('Softmax', [scores], { axis: -1 });
  const merged = b.op('Reshape', [b.op('Transpose', [b.op('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] }), b.constantI64([0, 0, channels])]);
  return linear(b, merged, channels, channels, `${name}.to_out`);
}

/** NCHW [B, C, H, W] -> tokens [B, H*W, C]; returns the tokens and the original shape tensor. */
export function toTokens(b: GraphBuilder, x: string): { tokens: string; shape: string } {
  const shape = b.op('Shape', [x]);
  const flat = b.op('Reshape', [x, b.constantI64([0, 0, -1])]);
  return { tokens: b.op('Transpose', [flat], { perm: [0, 2, 1] }), shape };
}

/** Tokens [B, H*W, C] -> NCHW with the given shape tensor. */
export function fromTokens(b: GraphBuilder, tokens: string, shape: string): string {
  return b.op('Reshape', [b.op('Transpose', [tokens], { perm: [0, 2, 1] }), shape]);
}

/** Nearest-neighbour 2x upsample (Resize as torch exports `interpolate(scale_factor=2)`). */
export function upsample2x(b: GraphBuilder, x: string): string {
  return b.op('Resize', [x, '', b.constantF32([1, 1, 2, 2])], {
    mode: 'nearest',
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
  });
}

/**
 * A diffusers-style ResnetBlock2D: GN, SiLU, conv, (+ time embedding), GN,
 * SiLU, conv, plus a 1x1 shortcut conv when the channel count changes.
 */
export function resBlock(
  b: GraphBuilder,
  x: string,
  name: string,
  options: { inChannels: number; outChannels: number; groups: number; temb?: { tensor: string; features: number } },
): string {
  const { inChannels, outChannels, groups } = options;
  let h = conv2d(b, silu(b, groupNorm(b, x, inChannels, groups, `${name}.norm1`)), inChannels, outChannels, `${name}.conv1`);
  if (options.temb) {
    const t = linear(b, silu(b, options.temb.tensor), options.temb.features, outChannels, `${name}.time_emb_proj`);
    h = b.op('Add', [h, b.op('Unsqueeze', [t, b.constantI64([2, 3])])]);
  }
  h = conv2d(b, silu(b, groupNorm(b, h, outChannels, groups, `${name}.norm2`)), outChannels, outChannels, `${name}.conv2`, { gain: 0.5 });
  const shortcut = inChannels === outChannels ? x : conv2d(b, x, inChannels, outChannels, `${name}.conv_shortcut`, { kernel: 1 });
  return b.op('Add', [shortcut, h]);
}
