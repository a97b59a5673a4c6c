/**
 * Writes a synthetic SDXL pipeline (base or refiner) in the optimum export layout
 * (sdxl.md §1.1 / §1.2): random seeded weights, real architecture, exact tensor names.
 *
 *   base:    model_index.json scheduler/ tokenizer/ tokenizer_2/ text_encoder/ text_encoder_2/ unet/ vae_decoder/
 *   refiner: model_index.json scheduler/ tokenizer_2/ text_encoder_2/ unet/ vae_decoder/
 */
import { join } from 'node:path';
import { GraphBuilder, type ValueInfo } from '../onnx/graph-builder.js';
import { writeModel } from '../onnx/model-writer.js';
import { hashSeed } from '../onnx/prng.js';
import { buildClipTextEncoder } from './clip-text-encoder.js';
import { configForScale, type SdxlConfig, type SdxlScale } from './configs.js';
import { modelIndex, schedulerConfig, textEncoderConfig, unetConfig, vaeConfig, writeJson } from './pipeline-files.js';
import { EOS_TOKEN, generateClipVocab, writeClipTokenizer } from './tokenizer-files.js';
import { buildUNet } from './unet.js';
import { buildVaeDecoder } from './vae-decoder.js';

export const SDXL_GRAPHS = ['text_encoder', 'text_encoder_2', 'unet', 'vae_decoder'] as const;
export type SdxlGraph = (typeof SDXL_GRAPHS)[number];

export interface BuildSdxlOptions {
  scale?: SdxlScale;
  /** Overrides the scale's config (e.g. a custom size for a test). */
  config?: SdxlConfig;
  /** float16 weights and float I/O (as `optimum-cli --dtype fp16`); default float32. */
  fp16?: boolean;
  seed?: number;
  /** Build the refiner layout instead of the base. */
  refiner?: boolean;
  /** Only these graphs (JSON files and tokenizers are always written). Default: all. */
  graphs?: readonly SdxlGraph[];
  log?: (line: string) => void;
}

export interface BuiltComponent {
  name: SdxlGraph;
  parameters: number;
  modelBytes: number;
  dataBytes: number;
  externalData: boolean;
  ms: number;
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface BuiltSdxlPipeline {
  dir: string;
  refiner: boolean;
  scale: SdxlScale;
  dtype: 'float32' | 'float16';
  components: BuiltComponent[];
  parameters: number;
}

export function buildSdxlPipeline(dir: string, options: BuildSdxlOptions = {}): BuiltSdxlPipeline {
  const cfg = options.config ?? configForScale(options.scale ?? 'tiny');
  const refiner = options.refiner ?? false;
  const seed = options.seed ?? 0;
  const dtype = options.fp16 ? 'float16' : 'float32';
  const log = options.log ?? ((): void => undefined);
  const wanted = new Set<SdxlGraph>(options.graphs ?? SDXL_GRAPHS);
  if (refiner) wanted.delete('text_encoder');

  writeJson(join(dir, 'model_index.json'), modelIndex(refiner, { scale: cfg.scale, seed, dtype }));
  writeJson(join(dir, 'scheduler', 'scheduler_config.json'), schedulerConfig());
  const vocab = generateClipVocab();
  if (!refiner) writeClipTokenizer(join(dir, 'tokenizer'), EOS_TOKEN, vocab);
  writeClipTokenizer(join(dir, 'tokenizer_2'), '!', vocab);
  if (!refiner) writeJson(join(dir, 'text_encoder', 'config.json'), textEncoderConfig(cfg.textEncoder, false, dtype));
  writeJson(join(dir, 'text_encoder_2', 'config.json'), textEncoderConfig(cfg.textEncoder2, true, dtype));
  const unetCfg = refiner ? cfg.refinerUnet : cfg.unet;
  writeJson(join(dir, 'unet', 'config.json'), unetConfig(unetCfg));
  writeJson(join(dir, 'vae_decoder', 'config.json'), vaeConfig(cfg.vaeDecoder));

  const graphs: Record<SdxlGraph, { seedKey: string; build: (b: GraphBuilder) => void; external?: number }> = {
    text_encoder: { seedKey: 'text_encoder', build: (b) => buildClipTextEncoder(b, cfg.textEncoder, 'clip') },
    // The refiner shares the base's OpenCLIP encoder and VAE, as in SDXL 1.0.
    text_encoder_2: { seedKey: 'text_encoder_2', build: (b) => buildClipTextEncoder(b, cfg.textEncoder2, 'clip-with-projection') },
    // optimum always stores the UNet's weights externally (model.onnx_data); so do we.
    unet: { seedKey: refiner ? 'refiner/unet' : 'unet', build: (b) => buildUNet(b, unetCfg), external: 1024 },
    vae_decoder: { seedKey: 'vae_decoder', build: (b) => buildVaeDecoder(b, cfg.vaeDecoder) },
  };
  const components: BuiltComponent[] = [];
  for (const name of SDXL_GRAPHS) {
    if (!wanted.has(name)) continue;
    const started = performance.now();
    const spec = graphs[name];
    const b = new GraphBuilder({ name, seed: hashSeed(seed, spec.seedKey), floatType: dtype });
    spec.build(b);
    const written = writeModel(b, join(dir, name), {
      ...(spec.external !== undefined ? { externalDataThreshold: spec.external } : {}),
      metadata: { 'nserve.synthetic': 'true', 'nserve.scale': cfg.scale, 'nserve.seed': String(seed) },
    });
    const ms = performance.now() - started;
    components.push({
      name,
      parameters: written.parameterCount,
      modelBytes: written.modelBytes,
      dataBytes: written.dataBytes,
      externalData: written.dataPath !== undefined,
      ms,
      inputs: b.inputs,
      outputs: b.outputs,
    });
    log(`${refiner ? 'refiner' : 'base'}/${name}: ${written.parameterCount.toLocaleString('en-US')} params, ${mb(written.modelBytes + written.dataBytes)} in ${(ms / 1000).toFixed(1)} s`);
  }
  return {
    dir,
    refiner,
    scale: cfg.scale,
    dtype,
    components,
    parameters: components.reduce((n, c) => n + c.parameters, 0),
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
