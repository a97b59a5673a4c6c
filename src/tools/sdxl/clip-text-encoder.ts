/**
 * CLIP text towers in the optimum export layout (sdxl.md §2.1 / §2.2):
 * - `text_encoder` (CLIPTextModel): `input_ids` int64 [batch_size, sequence_length] ->
 *   `last_hidden_state`, `pooler_output`, `hidden_states.0` … `hidden_states.L`.
 * - `text_encoder_2` (CLIPTextModelWithProjection): -> `text_embeds`, `last_hidden_state`,
 *   `hidden_states.0` … `hidden_states.L`.
 * `hidden_states.0` is the embedding output; `hidden_states.k` is layer k's output before the
 * final LayerNorm; the pooled token is the first position of the largest id (EOS 49407).
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { attention, gelu, layerNorm, linear, quickGelu } from '../onnx/nn.js';
import type { ClipTextConfig } from './configs.js';

export type TextEncoderKind = 'clip' | 'clip-with-projection';

const SEQ = ['batch_size', 'sequence_length'];

export function buildClipTextEncoder(b: GraphBuilder, cfg: ClipTextConfig, kind: TextEncoderKind): void {
  const D = cfg.hiddenSize;
  const ft = b.floatType;
  const ids = b.input('input_ids', 'int64', SEQ);
  const tokEmb = b.weight('text_model.embeddings.token_embedding.weight', [cfg.vocabSize, D], 0.5);
  const posEmb = b.weight('text_model.embeddings.position_embedding.weight', [cfg.maxPositionEmbeddings, D], 0.5);
  const seqLen = b.op('Gather', [b.op('Shape', [ids]), b.constInt64([1], [])], { axis: 0 });
  const positions = b.op('Range', [b.constInt64([0], []), seqLen, b.constInt64([1], [])]);
  let h = b.op('Add', [b.op('Gather', [tokEmb, ids]), b.op('Gather', [posEmb, positions])], {}, 'hidden_states.0');
  const mask = causalMask(b, seqLen);

  const layers = cfg.numHiddenLayers;
  const headDim = D / cfg.numAttentionHeads;
  const gain = 1 / Math.sqrt(2 * layers);
  for (let l = 0; l < layers; l++) {
    const p = `text_model.encoder.layers.${l}`;
    const n1 = layerNorm(b, h, `${p}.layer_norm1`, D, cfg.layerNormEps);
    const q = linear(b, n1, `${p}.self_attn.q_proj`, D, D);
    const k = linear(b, n1, `${p}.self_attn.k_proj`, D, D);
    const v = linear(b, n1, `${p}.self_attn.v_proj`, D, D);
    const ctx = attention(b, q, k, v, cfg.numAttentionHeads, headDim, mask);
    h = b.op('Add', [h, linear(b, ctx, `${p}.self_attn.out_proj`, D, D, { gain })]);
    const n2 = layerNorm(b, h, `${p}.layer_norm2`, D, cfg.layerNormEps);
    const fc1 = linear(b, n2, `${p}.mlp.fc1`, D, cfg.intermediateSize);
    const act = cfg.hiddenAct === 'quick_gelu' ? quickGelu(b, fc1) : gelu(b, fc1);
    const fc2 = linear(b, act, `${p}.mlp.fc2`, cfg.intermediateSize, D, { gain });
    h = b.op('Add', [h, fc2], {}, `hidden_states.${l + 1}`);
  }
  const last = layerNorm(b, h, 'text_model.final_layer_norm', D, cfg.layerNormEps);
  // Pooled token: first position of argmax(input_ids), i.e. the first EOS (49407).
  const eosPos = b.op('ArgMax', [b.op('Cast', [ids], { to: 1 })], { axis: 1, keepdims: 1 });
  const pooled = b.op('GatherND', [last, eosPos], { batch_dims: 1 });

  const hidden = [...SEQ, D];
  if (kind === 'clip') {
    b.output('last_hidden_state', ft, hidden, last);
    b.output('pooler_output', ft, ['batch_size', D], pooled);
  } else {
    const embeds = linear(b, pooled, 'text_projection', D, cfg.projectionDim, { bias: false });
    // optimum declares text_embeds' dim 1 as `sequence_length` (sdxl.md §2.2); reproduced here.
    b.output('text_embeds', ft, ['batch_size', 'sequence_length'], embeds);
    b.output('last_hidden_state', ft, hidden, last);
  }
  for (let l = 0; l <= layers; l++) b.output(`hidden_states.${l}`, ft, hidden);
}

/** [S, S] additive mask: 0 on and below the diagonal, a large negative value above. */
function causalMask(b: GraphBuilder, seqLen: string): string {
  const shape = b.op('Concat', [b.op('Unsqueeze', [seqLen, b.constInt64([0])]), b.op('Unsqueeze', [seqLen, b.constInt64([0])])], { axis: 0 });
  const negative = b.floatType === 'float16' ? -65504 : -1e9;
  const full = b.op('ConstantOfShape', [shape], { value: { tensor: { dtype: 'float32', dims: [1], values: [negative] } } });
  const upper = b.op('Trilu', [full, b.constInt64([1], [])], { upper: 1 });
  return b.floatType === 'float32' ? upper : b.op('Cast', [upper], { to: 10 });
}
