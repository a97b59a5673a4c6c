/**
 * UNet2DConditionModel building blocks as diffusers defines them for SDXL: ResnetBlock2D,
 * Transformer2DModel (linear projection) with BasicTransformerBlock (self-attn, cross-attn,
 * GEGLU feed-forward), Downsample2D (stride-2 conv) and Upsample2D (nearest 2x + conv).
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { attention, conv2d, fromTokens, gelu, groupNorm, layerNorm, linear, silu, toTokens } from '../onnx/nn.js';

/** Gain of residual-branch output layers, so deep stacks keep activations bounded. */
const RESIDUAL_GAIN = 0.5;

export interface ResnetOptions {
  groups: number;
  eps: number;
  /** SiLU(time embedding) [B, tembDim]; absent for VAE resnets. */
  tembAct?: string;
  tembDim?: number;
}

export function resnetBlock(b: GraphBuilder, x: string, name: string, inC: number, outC: number, o: ResnetOptions): string {
  let h = silu(b, groupNorm(b, x, `${name}.norm1`, inC, o.groups, o.eps));
  h = conv2d(b, h, `${name}.conv1`, inC, outC, 3);
  if (o.tembAct && o.tembDim) {
    const t = linear(b, o.tembAct, `${name}.time_emb_proj`, o.tembDim, outC);
    h = b.op('Add', [h, b.op('Reshape', [t, b.constInt64([0, 0, 1, 1])])]);
  }
  h = silu(b, groupNorm(b, h, `${name}.norm2`, outC, o.groups, o.eps));
  h = conv2d(b, h, `${name}.conv2`, outC, outC, 3, { gain: RESIDUAL_GAIN });
  const shortcut = inC === outC ? x : conv2d(b, x, `${name}.conv_shortcut`, inC, outC, 1);
  return b.op('Add', [shortcut, h]);
}

export interface TransformerOptions {
  heads: number;
  layers: number;
  groups: number;
  /** [B, 77, crossDim] conditioning. */
  context: string;
  crossDim: number;
}

export function transformer2d(b: GraphBuilder, x: string, name: string, channels: number, o: TransformerOptions): string {
  const C = channels;
  const normed = groupNorm(b, x, `${name}.norm`, C, o.groups, 1e-6);
  let h = linear(b, toTokens(b, normed), `${name}.proj_in`, C, C);
  for (let i = 0; i < o.layers; i++) h = basicTransformerBlock(b, h, `${name}.transformer_blocks.${i}`, C, o);
  h = linear(b, h, `${name}.proj_out`, C, C, { gain: RESIDUAL_GAIN });
  return b.op('Add', [fromTokens(b, h, x), x]);
}

function basicTransformerBlock(b: GraphBuilder, x: string, name: string, C: number, o: TransformerOptions): string {
  const headDim = C / o.heads;
  const g = RESIDUAL_GAIN;
  let n = layerNorm(b, x, `${name}.norm1`, C, 1e-5);
  let q = linear(b, n, `${name}.attn1.to_q`, C, C, { bias: false });
  let k = linear(b, n, `${name}.attn1.to_k`, C, C, { bias: false });
  let v = linear(b, n, `${name}.attn1.to_v`, C, C, { bias: false });
  let h = b.op('Add', [x, linear(b, attention(b, q, k, v, o.heads, headDim), `${name}.attn1.to_out.0`, C, C, { gain: g })]);

  n = layerNorm(b, h, `${name}.norm2`, C, 1e-5);
  q = linear(b, n, `${name}.attn2.to_q`, C, C, { bias: false });
  k = linear(b, o.context, `${name}.attn2.to_k`, o.crossDim, C, { bias: false });
  v = linear(b, o.context, `${name}.attn2.to_v`, o.crossDim, C, { bias: false });
  h = b.op('Add', [h, linear(b, attention(b, q, k, v, o.heads, headDim), `${name}.attn2.to_out.0`, C, C, { gain: g })]);

  n = layerNorm(b, h, `${name}.norm3`, C, 1e-5);
  const proj = linear(b, n, `${name}.ff.net.0.proj`, C, 8 * C);
  const [hidden, gate] = b.node('Split', [proj, b.constInt64([4 * C, 4 * C])], { axis: -1 }, 2) as [string, string];
  const geglu = b.op('Mul', [hidden, gelu(b, gate)]);
  return b.op('Add', [h, linear(b, geglu, `${name}.ff.net.2`, 4 * C, C, { gain: g })]);
}

export function downsample(b: GraphBuilder, x: string, name: string, channels: number): string {
  return conv2d(b, x, `${name}.conv`, channels, channels, 3, { stride: 2, padding: 1 });
}

export function upsample(b: GraphBuilder, x: string, name: string, channels: number): string {
  const scales = b.constFloat32([1, 1, 2, 2], [4], 'upsample_scales');
  const up = b.op('Resize', [x, '', scales], {
    mode: 'nearest',
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
  });
  return conv2d(b, up, `${name}.conv`, channels, channels, 3);
}
