/**
 * Architecture configs of the synthetic SDXL pipeline at three scales. `full` is the real
 * SDXL 1.0 base / refiner architecture (diffusers configs); `small` keeps full's topology and
 * depth with narrow widths; `tiny` is the fast test scale. Every dim a pipeline needs is also
 * written to the component's `config.json`, so consumers read dims from config / session
 * metadata, never from constants.
 */

export type SdxlScale = 'tiny' | 'small' | 'full';

export interface ClipTextConfig {
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** CLIP's real vocab size; the table must hold ids up to EOS 49407. */
  vocabSize: number;
  maxPositionEmbeddings: number;
  hiddenAct: 'quick_gelu' | 'gelu';
  /** Size of `text_embeds` (text_encoder_2 only has the projection). */
  projectionDim: number;
  layerNormEps: number;
}

export type DownBlockType = 'DownBlock2D' | 'CrossAttnDownBlock2D';
export type UpBlockType = 'UpBlock2D' | 'CrossAttnUpBlock2D';

export interface UNetConfig {
  sampleSize: number;
  inChannels: number;
  outChannels: number;
  blockOutChannels: number[];
  downBlockTypes: DownBlockType[];
  upBlockTypes: UpBlockType[];
  layersPerBlock: number;
  transformerLayersPerBlock: number[];
  /** diffusers quirk: for SDXL this is the number of heads per block (head dim = channels / value). */
  attentionHeadDim: number[];
  crossAttentionDim: number;
  additionTimeEmbedDim: number;
  /** time_ids length · additionTimeEmbedDim + pooled text dim. */
  projectionClassEmbeddingsInputDim: number;
  /** 6 for the base ((h, w, crop_top, crop_left, target_h, target_w)), 5 for the refiner. */
  timeIdsLength: number;
  normNumGroups: number;
}

export interface VaeDecoderConfig {
  latentChannels: number;
  outChannels: number;
  blockOutChannels: number[];
  layersPerBlock: number;
  normNumGroups: number;
  sampleSize: number;
  scalingFactor: number;
}

export interface SdxlConfig {
  scale: SdxlScale;
  textEncoder: ClipTextConfig;
  textEncoder2: ClipTextConfig;
  unet: UNetConfig;
  refinerUnet: UNetConfig;
  vaeDecoder: VaeDecoderConfig;
}

const CLIP = { vocabSize: 49408, maxPositionEmbeddings: 77, layerNormEps: 1e-5 } as const;
const BASE_BLOCKS = {
  downBlockTypes: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
  upBlockTypes: ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
} as const;
const REFINER_BLOCKS = {
  downBlockTypes: ['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D'],
  upBlockTypes: ['UpBlock2D', 'CrossAttnUpBlock2D', 'CrossAttnUpBlock2D', 'UpBlock2D'],
} as const;
/** Two-level base UNet of the tiny scale (as diffusers' SDXL fast tests). */
const TINY_BASE_BLOCKS = {
  downBlockTypes: ['DownBlock2D', 'CrossAttnDownBlock2D'],
  upBlockTypes: ['CrossAttnUpBlock2D', 'UpBlock2D'],
} as const;

type Blocks = { readonly downBlockTypes: readonly DownBlockType[]; readonly upBlockTypes: readonly UpBlockType[] };

function unet(
  blocks: Blocks,
  c: Omit<UNetConfig, 'projectionClassEmbeddingsInputDim' | 'downBlockTypes' | 'upBlockTypes'> & { pooledDim: number },
): UNetConfig {
  const { pooledDim, ...rest } = c;
  const n = c.blockOutChannels.length;
  if (blocks.downBlockTypes.length !== n || blocks.upBlockTypes.length !== n || c.attentionHeadDim.length !== n || c.transformerLayersPerBlock.length !== n)
    throw new Error('UNet config: block lists must all have one entry per level');
  return {
    ...rest,
    downBlockTypes: [...blocks.downBlockTypes],
    upBlockTypes: [...blocks.upBlockTypes],
    projectionClassEmbeddingsInputDim: c.timeIdsLength * c.additionTimeEmbedDim + pooledDim,
  };
}

/** The real SDXL 1.0 base + refiner architecture (about 2.57B + 2.3B UNet parameters). */
export function fullConfig(): SdxlConfig {
  const te1: ClipTextConfig = { ...CLIP, hiddenSize: 768, intermediateSize: 3072, numHiddenLayers: 12, numAttentionHeads: 12, hiddenAct: 'quick_gelu', projectionDim: 768 };
  const te2: ClipTextConfig = { ...CLIP, hiddenSize: 1280, intermediateSize: 5120, numHiddenLayers: 32, numAttentionHeads: 20, hiddenAct: 'gelu', projectionDim: 1280 };
  const common = { sampleSize: 128, inChannels: 4, outChannels: 4, layersPerBlock: 2, additionTimeEmbedDim: 256, normNumGroups: 32, pooledDim: 1280 };
  return {
    scale: 'full',
    textEncoder: te1,
    textEncoder2: te2,
    unet: unet(BASE_BLOCKS, { ...common, blockOutChannels: [320, 640, 1280], transformerLayersPerBlock: [1, 2, 10], attentionHeadDim: [5, 10, 20], crossAttentionDim: 2048, timeIdsLength: 6 }),
    refinerUnet: unet(REFINER_BLOCKS, { ...common, blockOutChannels: [384, 768, 1536, 1536], transformerLayersPerBlock: [4, 4, 4, 4], attentionHeadDim: [6, 12, 24, 24], crossAttentionDim: 1280, timeIdsLength: 5 }),
    vaeDecoder: { latentChannels: 4, outChannels: 3, blockOutChannels: [128, 256, 512, 512], layersPerBlock: 2, normNumGroups: 32, sampleSize: 1024, scalingFactor: 0.13025 },
  };
}

/** Full topology (3 UNet levels, 12/32 text layers) with 1/2/4 transformer layers and narrow widths, 128 px. */
export function smallConfig(): SdxlConfig {
  const te1: ClipTextConfig = { ...CLIP, hiddenSize: 48, intermediateSize: 96, numHiddenLayers: 12, numAttentionHeads: 2, hiddenAct: 'quick_gelu', projectionDim: 48 };
  const te2: ClipTextConfig = { ...CLIP, hiddenSize: 80, intermediateSize: 160, numHiddenLayers: 32, numAttentionHeads: 2, hiddenAct: 'gelu', projectionDim: 80 };
  const common = { sampleSize: 16, inChannels: 4, outChannels: 4, layersPerBlock: 2, additionTimeEmbedDim: 16, normNumGroups: 8, pooledDim: 80 };
  return {
    scale: 'small',
    textEncoder: te1,
    textEncoder2: te2,
    unet: unet(BASE_BLOCKS, { ...common, blockOutChannels: [32, 64, 96], transformerLayersPerBlock: [1, 2, 4], attentionHeadDim: [1, 2, 3], crossAttentionDim: 128, timeIdsLength: 6 }),
    refinerUnet: unet(REFINER_BLOCKS, { ...common, blockOutChannels: [32, 64, 96, 96], transformerLayersPerBlock: [2, 2, 2, 2], attentionHeadDim: [1, 2, 3, 3], crossAttentionDim: 80, timeIdsLength: 5 }),
    vaeDecoder: { latentChannels: 4, outChannels: 3, blockOutChannels: [16, 32, 64, 64], layersPerBlock: 2, normNumGroups: 8, sampleSize: 128, scalingFactor: 0.13025 },
  };
}

/** Test scale: 64×64 images (8×8 latents), 32-wide text encoders (2048 -> 64 cross-attention). */
export function tinyConfig(): SdxlConfig {
  const te1: ClipTextConfig = { ...CLIP, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 3, numAttentionHeads: 2, hiddenAct: 'quick_gelu', projectionDim: 32 };
  const te2: ClipTextConfig = { ...CLIP, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 3, numAttentionHeads: 2, hiddenAct: 'gelu', projectionDim: 32 };
  const common = { sampleSize: 8, inChannels: 4, outChannels: 4, layersPerBlock: 1, additionTimeEmbedDim: 8, normNumGroups: 8, pooledDim: 32 };
  return {
    scale: 'tiny',
    textEncoder: te1,
    textEncoder2: te2,
    unet: unet(TINY_BASE_BLOCKS, { ...common, blockOutChannels: [32, 64], transformerLayersPerBlock: [1, 1], attentionHeadDim: [2, 4], crossAttentionDim: 64, timeIdsLength: 6 }),
    refinerUnet: unet(REFINER_BLOCKS, { ...common, blockOutChannels: [32, 64, 64, 64], transformerLayersPerBlock: [1, 1, 1, 1], attentionHeadDim: [2, 4, 4, 4], crossAttentionDim: 32, timeIdsLength: 5 }),
    vaeDecoder: { latentChannels: 4, outChannels: 3, blockOutChannels: [16, 16, 32, 32], layersPerBlock: 1, normNumGroups: 8, sampleSize: 64, scalingFactor: 0.13025 },
  };
}

export function configForScale(scale: SdxlScale): SdxlConfig {
  if (scale === 'full') return fullConfig();
  if (scale === 'small') return smallConfig();
  return tinyConfig();
}
