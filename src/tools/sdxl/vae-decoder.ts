/**
 * AutoencoderKL decode path (post_quant_conv, then the Decoder) in the optimum layout
 * (sdxl.md §2.4): `latent_sample` [batch_size,4,height_latent,width_latent] (already divided by
 * scaling_factor) -> `sample` [batch_size,3,height,width], height = 2^(blocks-1)·height_latent.
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { attention, conv2d, fromTokens, groupNorm, linear, silu, toTokens } from '../onnx/nn.js';
import type { VaeDecoderConfig } from './configs.js';
import { resnetBlock, upsample } from './unet-blocks.js';

const EPS = 1e-6;

export function buildVaeDecoder(b: GraphBuilder, cfg: VaeDecoderConfig): void {
  const ft = b.floatType;
  const groups = cfg.normNumGroups;
  const rev = [...cfg.blockOutChannels].reverse();
  const top = rev[0]!;
  const latent = b.input('latent_sample', ft, ['batch_size', cfg.latentChannels, 'height_latent', 'width_latent']);
  let h = conv2d(b, latent, 'post_quant_conv', cfg.latentChannels, cfg.latentChannels, 1);
  h = conv2d(b, h, 'decoder.conv_in', cfg.latentChannels, top, 3);

  const res = { groups, eps: EPS };
  h = resnetBlock(b, h, 'decoder.mid_block.resnets.0', top, top, res);
  h = midAttention(b, h, 'decoder.mid_block.attentions.0', top, groups);
  h = resnetBlock(b, h, 'decoder.mid_block.resnets.1', top, top, res);

  let ch = top;
  rev.forEach((out, i) => {
    for (let j = 0; j <= cfg.layersPerBlock; j++) {
      h = resnetBlock(b, h, `decoder.up_blocks.${i}.resnets.${j}`, ch, out, res);
      ch = out;
    }
    if (i < rev.length - 1) h = upsample(b, h, `decoder.up_blocks.${i}.upsamplers.0`, out);
  });
  h = silu(b, groupNorm(b, h, 'decoder.conv_norm_out', ch, groups, EPS));
  const out = conv2d(b, h, 'decoder.conv_out', ch, cfg.outChannels, 3);
  b.output('sample', ft, ['batch_size', cfg.outChannels, 'height', 'width'], out);
}

/** Single-head self-attention over the spatial positions, with a residual connection. */
function midAttention(b: GraphBuilder, x: string, name: string, C: number, groups: number): string {
  const tokens = toTokens(b, groupNorm(b, x, `${name}.group_norm`, C, groups, EPS));
  const q = linear(b, tokens, `${name}.to_q`, C, C);
  const k = linear(b, tokens, `${name}.to_k`, C, C);
  const v = linear(b, tokens, `${name}.to_v`, C, C);
  const ctx = linear(b, attention(b, q, k, v, 1, C), `${name}.to_out.0`, C, C, { gain: 0.5 });
  return b.op('Add', [fromTokens(b, ctx, x), x]);
}
