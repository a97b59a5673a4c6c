/**
 * The JSON files of an optimum SDXL export (sdxl.md §1.1 / §1.2 / §8): model_index.json,
 * scheduler/scheduler_config.json and each component's config.json (diffusers / transformers
 * field names), written from the same configs the graphs are built from.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ClipTextConfig, SdxlConfig, UNetConfig, VaeDecoderConfig } from './configs.js';

export interface SyntheticInfo {
  scale: string;
  seed: number;
  dtype: 'float32' | 'float16';
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** SDXL's Euler scheduler config (identical for base and refiner). */
export function schedulerConfig(): Record<string, unknown> {
  return {
    _class_name: 'EulerDiscreteScheduler',
    _diffusers_version: '0.19.0.dev0',
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    clip_sample: false,
    interpolation_type: 'linear',
    num_train_timesteps: 1000,
    prediction_type: 'epsilon',
    sample_max_value: 1.0,
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'leading',
    trained_betas: null,
    use_karras_sigmas: false,
  };
}

export function modelIndex(refiner: boolean, info: SyntheticInfo): Record<string, unknown> {
  const common = {
    _diffusers_version: '0.19.0.dev0',
    scheduler: ['diffusers', 'EulerDiscreteScheduler'],
    text_encoder_2: ['transformers', 'CLIPTextModelWithProjection'],
    tokenizer_2: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
    _nserve_synthetic: info,
  };
  return refiner
    ? {
        _class_name: 'StableDiffusionXLImg2ImgPipeline',
        force_zeros_for_empty_prompt: false,
        requires_aesthetics_score: true,
        text_encoder: [null, null],
        tokenizer: [null, null],
        ...common,
      }
    : {
        _class_name: 'StableDiffusionXLPipeline',
        force_zeros_for_empty_prompt: true,
        text_encoder: ['transformers', 'CLIPTextModel'],
        tokenizer: ['transformers', 'CLIPTokenizer'],
        ...common,
      };
}

export function textEncoderConfig(cfg: ClipTextConfig, withProjection: boolean, dtype: string): Record<string, unknown> {
  return {
    architectures: [withProjection ? 'CLIPTextModelWithProjection' : 'CLIPTextModel'],
    model_type: 'clip_text_model',
    attention_dropout: 0.0,
    bos_token_id: 0,
    eos_token_id: 2,
    pad_token_id: 1,
    hidden_act: cfg.hiddenAct,
    hidden_size: cfg.hiddenSize,
    initializer_factor: 1.0,
    initializer_range: 0.02,
    intermediate_size: cfg.intermediateSize,
    layer_norm_eps: cfg.layerNormEps,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    num_attention_heads: cfg.numAttentionHeads,
    num_hidden_layers: cfg.numHiddenLayers,
    projection_dim: cfg.projectionDim,
    torch_dtype: dtype,
    vocab_size: cfg.vocabSize,
  };
}

export function unetConfig(cfg: UNetConfig): Record<string, unknown> {
  return {
    _class_name: 'UNet2DConditionModel',
    _diffusers_version: '0.19.0.dev0',
    act_fn: 'silu',
    addition_embed_type: 'text_time',
    addition_embed_type_num_heads: 64,
    addition_time_embed_dim: cfg.additionTimeEmbedDim,
    attention_head_dim: cfg.attentionHeadDim,
    block_out_channels: cfg.blockOutChannels,
    center_input_sample: false,
    class_embed_type: null,
    conv_in_kernel: 3,
    conv_out_kernel: 3,
    cross_attention_dim: cfg.crossAttentionDim,
    down_block_types: cfg.downBlockTypes,
    downsample_padding: 1,
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: cfg.inChannels,
    layers_per_block: cfg.layersPerBlock,
    mid_block_scale_factor: 1,
    mid_block_type: 'UNetMidBlock2DCrossAttn',
    norm_eps: 1e-5,
    norm_num_groups: cfg.normNumGroups,
    num_attention_heads: null,
    out_channels: cfg.outChannels,
    projection_class_embeddings_input_dim: cfg.projectionClassEmbeddingsInputDim,
    sample_size: cfg.sampleSize,
    time_cond_proj_dim: null,
    transformer_layers_per_block: cfg.transformerLayersPerBlock,
    up_block_types: cfg.upBlockTypes,
    upcast_attention: null,
    use_linear_projection: true,
  };
}

export function vaeConfig(cfg: VaeDecoderConfig): Record<string, unknown> {
  const n = cfg.blockOutChannels.length;
  return {
    _class_name: 'AutoencoderKL',
    _diffusers_version: '0.19.0.dev0',
    act_fn: 'silu',
    block_out_channels: cfg.blockOutChannels,
    down_block_types: new Array<string>(n).fill('DownEncoderBlock2D'),
    force_upcast: true,
    in_channels: 3,
    latent_channels: cfg.latentChannels,
    latents_mean: null,
    latents_std: null,
    layers_per_block: cfg.layersPerBlock,
    norm_num_groups: cfg.normNumGroups,
    out_channels: cfg.outChannels,
    sample_size: cfg.sampleSize,
    scaling_factor: cfg.scalingFactor,
    up_block_types: new Array<string>(n).fill('UpDecoderBlock2D'),
  };
}

/** Pixel size of the default image (UNet sample_size · VAE scale factor). */
export function defaultImageSize(cfg: SdxlConfig): number {
  return cfg.unet.sampleSize * 2 ** (cfg.vaeDecoder.blockOutChannels.length - 1);
}
