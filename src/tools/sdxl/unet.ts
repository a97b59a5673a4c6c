/**
 * SDXL UNet2DConditionModel (addition_embed_type "text_time") in the optimum export layout
 * (sdxl.md §2.3): `sample` [batch_size,4,height,width], `timestep` 0-d float (optimum ≥ 1.24),
 * `encoder_hidden_states` [batch_size,sequence_length,crossDim], `text_embeds`
 * [batch_size,pooledDim], `time_ids` [batch_size,timeIdsLength] -> `out_sample`.
 */
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { conv2d, groupNorm, linear, silu, sinusoidalEmbedding } from '../onnx/nn.js';
import type { UNetConfig } from './configs.js';
import { downsample, resnetBlock, transformer2d, upsample } from './unet-blocks.js';

interface Skip {
  value: string;
  channels: number;
}

export function buildUNet(b: GraphBuilder, cfg: UNetConfig): void {
  const ft = b.floatType;
  const boc = cfg.blockOutChannels;
  const c0 = boc[0]!;
  const tembDim = 4 * c0;
  const pooledDim = cfg.projectionClassEmbeddingsInputDim - cfg.timeIdsLength * cfg.additionTimeEmbedDim;
  const sample = b.input('sample', ft, ['batch_size', cfg.inChannels, 'height', 'width']);
  const timestep = b.input('timestep', ft, []);
  const context = b.input('encoder_hidden_states', ft, ['batch_size', 'sequence_length', cfg.crossAttentionDim]);
  const textEmbeds = b.input('text_embeds', ft, ['batch_size', pooledDim]);
  const timeIds = b.input('time_ids', ft, ['batch_size', cfg.timeIdsLength]);

  // Time embedding of the scalar timestep: [1, tembDim], broadcast over the batch below.
  const t = b.op('Reshape', [toFloat32(b, timestep), b.constInt64([1, 1])]);
  const tProj = fromFloat32(b, sinusoidalEmbedding(b, t, c0));
  const temb = timeEmbedding(b, tProj, 'time_embedding', c0, tembDim);
  // Added conditioning: sinusoid of every time id, concatenated after the pooled text embeds.
  const ids = b.op('Reshape', [toFloat32(b, timeIds), b.constInt64([-1, 1])]);
  const idsProj = sinusoidalEmbedding(b, ids, cfg.additionTimeEmbedDim);
  const idsFlat = fromFloat32(b, b.op('Reshape', [idsProj, b.constInt64([-1, cfg.timeIdsLength * cfg.additionTimeEmbedDim])]));
  const addIn = b.op('Concat', [textEmbeds, idsFlat], { axis: -1 });
  const aug = timeEmbedding(b, addIn, 'add_embedding', cfg.projectionClassEmbeddingsInputDim, tembDim);
  const tembAct = silu(b, b.op('Add', [temb, aug]));

  const res = { groups: cfg.normNumGroups, eps: 1e-5, tembAct, tembDim };
  const attn = (x: string, name: string, ch: number, heads: number, layers: number): string =>
    transformer2d(b, x, name, ch, { heads, layers, groups: cfg.normNumGroups, context, crossDim: cfg.crossAttentionDim });

  let h = conv2d(b, sample, 'conv_in', cfg.inChannels, c0, 3);
  const skips: Skip[] = [{ value: h, channels: c0 }];
  let ch = c0;
  cfg.downBlockTypes.forEach((type, i) => {
    const out = boc[i]!;
    for (let j = 0; j < cfg.layersPerBlock; j++) {
      h = resnetBlock(b, h, `down_blocks.${i}.resnets.${j}`, ch, out, res);
      ch = out;
      if (type === 'CrossAttnDownBlock2D')
        h = attn(h, `down_blocks.${i}.attentions.${j}`, out, cfg.attentionHeadDim[i]!, cfg.transformerLayersPerBlock[i]!);
      skips.push({ value: h, channels: out });
    }
    if (i < boc.length - 1) {
      h = downsample(b, h, `down_blocks.${i}.downsamplers.0`, out);
      skips.push({ value: h, channels: out });
    }
  });

  const last = boc.length - 1;
  h = resnetBlock(b, h, 'mid_block.resnets.0', ch, ch, res);
  h = attn(h, 'mid_block.attentions.0', ch, cfg.attentionHeadDim[last]!, cfg.transformerLayersPerBlock[last]!);
  h = resnetBlock(b, h, 'mid_block.resnets.1', ch, ch, res);

  cfg.upBlockTypes.forEach((type, i) => {
    const src = last - i;
    const out = boc[src]!;
    for (let j = 0; j <= cfg.layersPerBlock; j++) {
      const skip = skips.pop();
      if (!skip) throw new Error('UNet skip stack underflow');
      h = b.op('Concat', [h, skip.value], { axis: 1 });
      h = resnetBlock(b, h, `up_blocks.${i}.resnets.${j}`, ch + skip.channels, out, res);
      ch = out;
      if (type === 'CrossAttnUpBlock2D')
        h = attn(h, `up_blocks.${i}.attentions.${j}`, out, cfg.attentionHeadDim[src]!, cfg.transformerLayersPerBlock[src]!);
    }
    if (i < boc.length - 1) h = upsample(b, h, `up_blocks.${i}.upsamplers.0`, out);
  });
  if (skips.length !== 0) throw new Error(`UNet left ${skips.length} skip connections unused`);

  h = silu(b, groupNorm(b, h, 'conv_norm_out', c0, cfg.normNumGroups, 1e-5));
  const out = conv2d(b, h, 'conv_out', c0, cfg.outChannels, 3);
  b.output('out_sample', ft, ['batch_size', cfg.outChannels, 'height', 'width'], out);
}

/** TimestepEmbedding: linear_1 -> SiLU -> linear_2. */
function timeEmbedding(b: GraphBuilder, x: string, name: string, inDim: number, outDim: number): string {
  return linear(b, silu(b, linear(b, x, `${name}.linear_1`, inDim, outDim)), `${name}.linear_2`, outDim, outDim);
}

function toFloat32(b: GraphBuilder, x: string): string {
  return b.floatType === 'float32' ? x : b.op('Cast', [x], { to: 1 });
}

function fromFloat32(b: GraphBuilder, x: string): string {
  return b.floatType === 'float32' ? x : b.op('Cast', [x], { to: 10 });
}
