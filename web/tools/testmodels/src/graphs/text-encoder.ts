/**
 * The tiny CLIP text encoder, written the way HF CLIPTextModel exports:
 * token embedding (Gather) + the first `sequence_length` rows of the position
 * embedding (Slice), pre-LN transformer layers with causal multi-head
 * self-attention (the mask built for the input's length with Trilu) and a
 * GELU MLP, final LayerNorm. `input_ids` int32 [batch_size, sequence_length]
 * -> `last_hidden_state` float32 [batch_size, sequence_length, D] and
 * `pooler_output` [batch_size, D], the hidden state at each row's highest id
 * (CLIP's end-of-text token: ArgMax + GatherND).
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
  const length = b.op('Slice', [b.op('Shape', [ids]), b.constantI64([1]), b.constantI64([2])]); // [sequence_length]
  const positions = b.op('Slice', [positionEmbedding, b.constantI64([0]), length, b.constantI64([0])]);
  let x = b.op('Add', [b.op('Gather', [tokenEmbedding, ids], { axis: 0 }), positions]);

  // [S, S]: -1e4 above the diagonal, 0 elsewhere, for whatever length the input has.
  const square = b.op('Expand', [b.constant([-1e4], []), b.op('Concat', [length, length], { axis: 0 })]);
  const causalMask = b.op('Trilu', [square, b.constantI64([1], [])], { upper: 1 });

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
  const endOfText = b.op('ArgMax', [ids], { axis: -1, keepdims: 1 }); // [batch_size, 1]
  const pooled = b.op('GatherND', [final, endOfText], { batch_dims: 1 }); // [batch_size, D]
  b.graphOutput(final, 'last_hidden_state');
  b.graphOutput(pooled, 'pooler_output');
  return b;
}
