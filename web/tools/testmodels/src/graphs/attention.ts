/**
 * Attention as the published SD-Turbo UNet holds it: optimum exported diffusers'
 * `AttnProcessor2_0` with torch 2 (`F.scaled_dot_product_attention`, opset 14), and
 * onnxruntime's `optimize_pipeline --disable_attention` kept it plain. This is the
 * graph onnxruntime's own UNet attention fusion matches for torch 2 exports
 * (`fusion_attention_unet.py`, `match_qkv_torch2`):
 * - heads split with `view(batch_size, -1, heads, head_dim)`: Reshape to
 *   Concat(Unsqueeze(Gather(Shape(hidden or encoder_hidden_states), 0)), [-1], [heads], head_dim),
 *   then Transpose [0,2,1,3] (K: the exporter merges its two transposes into [0,2,3,1]);
 *   `head_dim = inner_dim // heads` with `inner_dim = key.shape[-1]` is traced, not a constant:
 *   Unsqueeze(Cast(Div(Gather(Shape(key), 2), heads)), [0]), one tensor for Q, K and V;
 * - torch's SDPA export scales both sides by sqrt(scale), scale = 1 / sqrt(last dim of q)
 *   computed from Shape/Slice/Cast/Sqrt/Div (`_attention_scale`), then MatMul, Softmax, MatMul;
 * - heads merged with Transpose [0,2,1,3] and Reshape to Concat(batch, [-1], [channels]).
 * (The Slice's end is INT64_MAX in torch's export; here 2^53 - 1, the same slice.)
 */

import { type GraphBuilder, ONNX_DATA_TYPE } from '../onnx-builder.js';
import { linear } from './layers.js';

/** Options of {@link exportedAttention}. */
export interface ExportedAttentionOptions {
  readonly channels: number;
  /** Channels of `context` (default: `channels`). */
  readonly contextChannels?: number;
  readonly heads: number;
}

/** diffusers' Attention (to_q/k/v without bias, to_out with bias) over `context`; `query` [B, S, C] -> [B, S, C]. */
export function exportedAttention(b: GraphBuilder, query: string, context: string, name: string, options: ExportedAttentionOptions): string {
  const { channels, heads } = options;
  const ctxChannels = options.contextChannels ?? channels;
  const q = linear(b, query, channels, channels, `${name}.to_q`, { bias: false });
  const k = linear(b, context, ctxChannels, channels, `${name}.to_k`, { bias: false });
  const v = linear(b, context, ctxChannels, channels, `${name}.to_v`, { bias: false });
  // batch_size = (hidden_states if self-attention else encoder_hidden_states).shape[0]
  const batch = b.op('Unsqueeze', [b.op('Gather', [b.op('Shape', [context]), b.constantI64([0], [])], { axis: 0 }), b.constantI64([0])]);
  const innerDim = b.op('Gather', [b.op('Shape', [k]), b.constantI64([2], [])], { axis: 0 });
  const headDim = b.op('Unsqueeze', [b.op('Cast', [b.op('Div', [innerDim, b.constantI64([heads], [])])], { to: ONNX_DATA_TYPE.int64 }), b.constantI64([0])]);
  const split = b.op('Concat', [batch, b.constantI64([-1]), b.constantI64([heads]), headDim], { axis: 0 });
  const qh = b.op('Transpose', [b.op('Reshape', [q, split])], { perm: [0, 2, 1, 3] });
  const kt = b.op('Transpose', [b.op('Reshape', [k, split])], { perm: [0, 2, 3, 1] });
  const vh = b.op('Transpose', [b.op('Reshape', [v, split])], { perm: [0, 2, 1, 3] });
  const computeType = b.computeType === 'float16' ? ONNX_DATA_TYPE.float16 : ONNX_DATA_TYPE.float32;
  const lastDim = b.op('Slice', [b.op('Shape', [qh]), b.constantI64([-1]), b.constantI64([Number.MAX_SAFE_INTEGER])]);
  const scale = b.op('Div', [b.constant([1]), b.op('Sqrt', [b.op('Cast', [lastDim], { to: computeType })])]);
  const scores = b.op('MatMul', [b.op('Mul', [qh, b.op('Sqrt', [scale])]), b.op('Mul', [kt, b.op('Sqrt', [scale])])]);
  const heads4 = b.op('MatMul', [b.op('Softmax', [scores], { axis: -1 }), vh]);
  const merge = b.op('Concat', [batch, b.constantI64([-1]), b.constantI64([channels])], { axis: 0 });
  const merged = b.op('Reshape', [b.op('Transpose', [heads4], { perm: [0, 2, 1, 3] }), merge]);
  return linear(b, merged, channels, channels, `${name}.to_out`);
}
