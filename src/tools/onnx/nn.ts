/**
 * Neural-network building blocks expressed in opset-17 ONNX ops. Weights are named after the
 * PyTorch parameters they stand for (`<prefix>.weight`, `<prefix>.bias`) and initialised with
 * std 1/√fan_in, so activations keep unit scale through deep stacks.
 */
import type { GraphBuilder } from './graph-builder.js';

const SMALL = 0.02;

export interface LinearOptions {
  bias?: boolean;
  /** Multiplies the default 1/√in std (e.g. < 1 for residual-branch outputs). */
  gain?: number;
}

/** y = x·W + b, W stored [in, out] (MatMul-ready). */
export function linear(b: GraphBuilder, x: string, name: string, inF: number, outF: number, o: LinearOptions = {}): string {
  const w = b.weight(`${name}.weight`, [inF, outF], (o.gain ?? 1) / Math.sqrt(inF));
  const y = b.op('MatMul', [x, w]);
  if (o.bias === false) return y;
  return b.op('Add', [y, b.weight(`${name}.bias`, [outF], SMALL)]);
}

export interface ConvOptions {
  stride?: number;
  padding?: number;
  gain?: number;
}

export function conv2d(
  b: GraphBuilder,
  x: string,
  name: string,
  inC: number,
  outC: number,
  kernel: number,
  o: ConvOptions = {},
): string {
  const fanIn = inC * kernel * kernel;
  const w = b.weight(`${name}.weight`, [outC, inC, kernel, kernel], (o.gain ?? 1) / Math.sqrt(fanIn));
  const bias = b.weight(`${name}.bias`, [outC], SMALL);
  const p = o.padding ?? Math.floor(kernel / 2);
  return b.op('Conv', [x, w, bias], {
    kernel_shape: [kernel, kernel],
    strides: [o.stride ?? 1, o.stride ?? 1],
    pads: [p, p, p, p],
  });
}

/**
 * GroupNorm over [B, C, ...] decomposed as PyTorch exports it below opset 18:
 * reshape to [B, G, -1], InstanceNormalization, reshape back, per-channel affine.
 */
export function groupNorm(b: GraphBuilder, x: string, name: string, channels: number, groups: number, eps: number): string {
  if (channels % groups !== 0) throw new Error(`${name}: ${channels} channels not divisible by ${groups} groups`);
  const grouped = b.op('Reshape', [x, b.constInt64([0, groups, -1])]);
  const normed = b.op('InstanceNormalization', [grouped, b.constFloat(ones(groups)), b.constFloat(zeros(groups))], {
    epsilon: { f: eps },
  });
  const back = b.op('Reshape', [normed, b.op('Shape', [x])]);
  const gamma = b.weight(`${name}.weight`, [channels, 1, 1], SMALL, 1);
  const beta = b.weight(`${name}.bias`, [channels, 1, 1], SMALL);
  return b.op('Add', [b.op('Mul', [back, gamma]), beta]);
}

export function layerNorm(b: GraphBuilder, x: string, name: string, dim: number, eps: number): string {
  const gamma = b.weight(`${name}.weight`, [dim], SMALL, 1);
  const beta = b.weight(`${name}.bias`, [dim], SMALL);
  return b.op('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { f: eps } });
}

export function silu(b: GraphBuilder, x: string): string {
  return b.op('Mul', [x, b.op('Sigmoid', [x])]);
}

/** Exact GELU: 0.5·x·(1 + erf(x/√2)) (the Gelu op only exists from opset 20). */
export function gelu(b: GraphBuilder, x: string): string {
  const erf = b.op('Erf', [b.op('Mul', [x, b.constFloat([Math.SQRT1_2], [])])]);
  const onePlus = b.op('Add', [erf, b.constFloat([1], [])]);
  return b.op('Mul', [b.op('Mul', [x, onePlus]), b.constFloat([0.5], [])]);
}

/** CLIP's quick_gelu: x·σ(1.702·x). */
export function quickGelu(b: GraphBuilder, x: string): string {
  return b.op('Mul', [x, b.op('Sigmoid', [b.op('Mul', [x, b.constFloat([1.702], [])])])]);
}

/**
 * Scaled dot-product attention over [B, S, heads·d] tensors; `mask` (optional) is added to the
 * [B, heads, Sq, Sk] scores before the softmax.
 */
export function attention(b: GraphBuilder, q: string, k: string, v: string, heads: number, headDim: number, mask?: string): string {
  const split = b.constInt64([0, 0, heads, headDim]);
  const qh = b.op('Transpose', [b.op('Reshape', [q, split])], { perm: [0, 2, 1, 3] });
  const kh = b.op('Transpose', [b.op('Reshape', [k, split])], { perm: [0, 2, 3, 1] });
  const vh = b.op('Transpose', [b.op('Reshape', [v, split])], { perm: [0, 2, 1, 3] });
  let scores = b.op('Mul', [b.op('MatMul', [qh, kh]), b.constFloat([1 / Math.sqrt(headDim)], [])]);
  if (mask) scores = b.op('Add', [scores, mask]);
  const probs = b.op('Softmax', [scores], { axis: -1 });
  const ctx = b.op('Transpose', [b.op('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] });
  return b.op('Reshape', [ctx, b.constInt64([0, 0, heads * headDim])]);
}

/** [B, C, H, W] -> [B, H·W, C] */
export function toTokens(b: GraphBuilder, x: string): string {
  return b.op('Transpose', [b.op('Reshape', [x, b.constInt64([0, 0, -1])])], { perm: [0, 2, 1] });
}

/** [B, H·W, C] -> the shape of `like` ([B, C, H, W]). */
export function fromTokens(b: GraphBuilder, tokens: string, like: string): string {
  return b.op('Reshape', [b.op('Transpose', [tokens], { perm: [0, 2, 1] }), b.op('Shape', [like])]);
}

/**
 * Sinusoidal embedding of the values of `x` (any shape, float32) to `dim` channels, as
 * diffusers' `Timesteps(dim, flip_sin_to_cos=True, downscale_freq_shift=0)`: [..., 1] · freqs
 * then concat(cos, sin). `x` must already have a trailing axis of size 1.
 */
export function sinusoidalEmbedding(b: GraphBuilder, x: string, dim: number): string {
  const half = dim / 2;
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
  const args = b.op('Mul', [x, b.constFloat32(freqs, [1, half], 'sinusoid_freqs')]);
  return b.op('Concat', [b.op('Cos', [args]), b.op('Sin', [args])], { axis: -1 });
}

export function ones(n: number): number[] {
  return new Array<number>(n).fill(1);
}

export function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}
