/**
 * The tiny CLIP text encoder: token embedding (Gather) + positional embedding,
 * pre-LN transformer layers with causal multi-head self-attention and a GELU
 * MLP, final LayerNorm. `input_ids` int32 [batch, 77] -> `last_hidden_state`
 * float32 [batch, 77, D].
 */

import type { Precision } from '../contract.js';
import { GRAPH_IO, TEXT_HIDDEN_SIZE, TEXT_MAX_LENGTH } from '../contract.js';
import { GraphBuilder } from '../onnx-builder.js';
import { Rng } from '../prng.js';
import { attention, gelu, layerNorm, linear } from './layers.js';

/** Shape parameters of the text encoder. */
export const TEXT_ENCODER_CONFIG = { hidden: TEXT_HIDDEN_SIZE, layers: 2, heads: 2, mlpRatio: 4 } as const;

/** Builds the text encoder graph for a vocabulary of `vocabSize` tokens. */
export function buildTextEncoder(precision: Precision, seed: number, vocabSize: number): GraphBuilder {
  const { hidden, layers, heads, mlpRatio } = TEXT_ENCODER_CONFIG;
  const b = new GraphBuilder('text_encoder', precision, Rng.forName(seed, 'text_encoder'));
  const [ids = ''] = b.declare(GRAPH_IO.text_encoder);

  const tokenEmbedding = b.weight('embeddings.token_embedding.weight', [vocabSize, hidden], 0.5);
  const positionEmbedding = b.weight('embeddings.position_embedding.weight', [TEXT_MAX_LENGTH, hidden], 0.2);
  let x = b.op('Add', [b.op('Gather', [tokenEmbedding, ids], { axis: 0 }), positionEmbedding]);

  const maskValues: number[] = [];
  for (let i = 0; i < TEXT_MAX_LENGTH; i++) for (let j = 0; j < TEXT_MAX_LENGTH; j++) maskValues.push(j > i ? -1e4 : 0);
  const causalMask = b.constant(maskValues, [1, 1, TEXT_MAX_LENGTH, TEXT_MAX_LENGTH]);

  for (let l = 0; l < layers; l++) {
    const p = `encoder.layers.${l}`;
    const normed = layerNorm(b, x, hidden, `${p}.layer_norm1`);
    const attn = attention(b, normed, normed, `${p}.self_attn`, { channels: hidden, heads, mask: causalMask });
    x = b.op('Add', [x, attn]);
    const h = layerNorm(b, x, hidden, `${p}.layer_norm2`);
    const mlp = linear(b, gelu(b, linear(b, h, hidden, hidden * mlpRatio, `${p}.mlp.fc1`)), hidden * mlpRatio, hidden, `${p}.mlp.fc2`);
    x = b.op('Add', [x, mlp]);
  }
  const final = layerNorm(b, x, hidden, 'final_layer_norm');
  b.toFloat32(final, 'last_hidden_state');
  return b;
}
