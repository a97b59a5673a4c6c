/**
 * Finds and reads an SDXL pipeline folder: the optimum layout (§1.1 base, §1.2 refiner) and
 * Olive's (§1.3: same tree, `model.onnx.data` / `weights.pb` external data, the refiner's
 * `text_encoder_2` possibly saved as `text_encoder`). Every dimension comes from the configs.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ClipTokenizer } from './clip-tokenizer.js';
import { parseSchedulerConfig, type SchedulerConfig } from './schedulers/schedule-tables.js';

type Json = Record<string, unknown>;

export interface TextEncoderLayout {
  model: string;
  tokenizerDir: string;
  numHiddenLayers: number | undefined;
  hiddenSize: number | undefined;
  projectionDim: number | undefined;
}

export interface PipelineLayout {
  root: string;
  kind: 'base' | 'refiner';
  modelIndex: Json;
  forceZerosForEmptyPrompt: boolean;
  requiresAestheticsScore: boolean;
  /** Latent size of the default image (unet sample_size). */
  sampleSize: number;
  latentChannels: number;
  /** Pixels per latent cell: 2^(len(vae block_out_channels) − 1). */
  vaeScaleFactor: number;
  vaeScalingFactor: number;
  /** time_ids length from the unet config (6 base, 5 refiner), when the config says. */
  timeIdsLength: number | undefined;
  scheduler: SchedulerConfig;
  textEncoder: TextEncoderLayout | undefined;
  textEncoder2: TextEncoderLayout | undefined;
  unet: string;
  vaeDecoder: string;
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function readJson(path: string): Json {
  if (!existsSync(path)) return {};
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : {};
}

const num = (j: Json, k: string): number | undefined => (typeof j[k] === 'number' ? (j[k] as number) : undefined);

function isPipelineRoot(dir: string): boolean {
  return existsSync(join(dir, 'model_index.json')) || isDir(join(dir, 'unet'));
}

/**
 * The pipeline root at or below `dir` (breadth first, depth ≤ 3): a folder holding
 * `model_index.json` or `unet/`. Folders named in `skip` are not entered.
 */
export function findPipelineRoot(dir: string, skip: readonly string[] = []): string | undefined {
  let level = [dir];
  for (let depth = 0; depth <= 3 && level.length > 0; depth++) {
    const next: string[] = [];
    for (const d of level) {
      if (isPipelineRoot(d)) return d;
      let entries: string[] = [];
      try {
        entries = readdirSync(d).sort();
      } catch {
        continue;
      }
      for (const e of entries) {
        if (skip.includes(e) || e.startsWith('.') || e === 'MAR-INF' || e === 'node_modules') continue;
        if (isDir(join(d, e))) next.push(join(d, e));
      }
    }
    level = next;
  }
  return undefined;
}

/** Base and refiner roots under an extracted model dir. */
export function findPipelineRoots(modelDir: string): { base: string; refiner: string | undefined } {
  const refinerDir = join(modelDir, 'refiner');
  const refiner = existsSync(refinerDir) ? findPipelineRoot(refinerDir) : undefined;
  const modelSub = join(modelDir, 'model');
  const base = (existsSync(modelSub) ? findPipelineRoot(modelSub) : undefined) ?? findPipelineRoot(modelDir, ['refiner']);
  if (!base) throw new Error(`no SDXL pipeline (model_index.json or unet/) under ${modelDir}`);
  return { base, refiner };
}

/** `model.onnx`, else the only `.onnx` file of a component folder. */
export function componentModel(dir: string): string | undefined {
  if (!isDir(dir)) return undefined;
  if (existsSync(join(dir, 'model.onnx'))) return join(dir, 'model.onnx');
  const onnx = readdirSync(dir).filter((f) => f.endsWith('.onnx')).sort();
  return onnx[0] ? join(dir, onnx[0]) : undefined;
}

function textEncoder(root: string, encoderDir: string, tokenizerDir: string): TextEncoderLayout | undefined {
  const model = componentModel(join(root, encoderDir));
  if (!model) return undefined;
  const cfg = readJson(join(root, encoderDir, 'config.json'));
  return {
    model,
    tokenizerDir: join(root, tokenizerDir),
    numHiddenLayers: num(cfg, 'num_hidden_layers'),
    hiddenSize: num(cfg, 'hidden_size'),
    projectionDim: num(cfg, 'projection_dim'),
  };
}

export function readPipelineLayout(root: string): PipelineLayout {
  const modelIndex = readJson(join(root, 'model_index.json'));
  const unetCfg = readJson(join(root, 'unet', 'config.json'));
  const vaeCfg = { ...readJson(join(root, 'vae', 'config.json')), ...readJson(join(root, 'vae_decoder', 'config.json')) };
  const unet = componentModel(join(root, 'unet'));
  const vaeDecoder = componentModel(join(root, 'vae_decoder'));
  if (!unet) throw new Error(`SDXL pipeline at ${root} has no unet/model.onnx`);
  if (!vaeDecoder) throw new Error(`SDXL pipeline at ${root} has no vae_decoder/model.onnx`);

  let te1 = textEncoder(root, 'text_encoder', 'tokenizer');
  let te2 = textEncoder(root, 'text_encoder_2', 'tokenizer_2');
  const className = String(modelIndex['_class_name'] ?? '');
  const aesthetics = modelIndex['requires_aesthetics_score'] === true;
  const refinerLike = aesthetics || className.includes('Img2Img');
  // Olive's refiner may keep bigG under text_encoder/ (tokenizer/); treat it as text_encoder_2.
  if (refinerLike && te1 && !te2 && te1.projectionDim !== undefined) {
    te2 = te1;
    te1 = undefined;
  }
  if (!te2) throw new Error(`SDXL pipeline at ${root} has no text_encoder_2`);

  const projection = num(unetCfg, 'projection_class_embeddings_input_dim');
  const timeEmbed = num(unetCfg, 'addition_time_embed_dim');
  const pooled = te2.projectionDim;
  const timeIdsLength =
    projection !== undefined && timeEmbed && pooled !== undefined ? (projection - pooled) / timeEmbed : undefined;
  const kind: 'base' | 'refiner' = refinerLike || !te1 || timeIdsLength === 5 ? 'refiner' : 'base';
  const blocks = Array.isArray(vaeCfg['block_out_channels']) ? (vaeCfg['block_out_channels'] as unknown[]).length : 4;
  const forceZeros = modelIndex['force_zeros_for_empty_prompt'];

  return {
    root,
    kind,
    modelIndex,
    forceZerosForEmptyPrompt: typeof forceZeros === 'boolean' ? forceZeros : kind === 'base',
    requiresAestheticsScore: kind === 'refiner' ? modelIndex['requires_aesthetics_score'] !== false : aesthetics,
    sampleSize: num(unetCfg, 'sample_size') ?? 128,
    latentChannels: num(unetCfg, 'in_channels') ?? 4,
    vaeScaleFactor: 2 ** (blocks - 1),
    vaeScalingFactor: num(vaeCfg, 'scaling_factor') ?? 0.13025,
    timeIdsLength: Number.isInteger(timeIdsLength) ? timeIdsLength : undefined,
    scheduler: parseSchedulerConfig(readJson(join(root, 'scheduler', 'scheduler_config.json'))),
    textEncoder: te1,
    textEncoder2: te2,
    unet,
    vaeDecoder,
  };
}

/**
 * A CLIP tokenizer from a tokenizer folder (vocab.json + merges.txt; pad token from
 * special_tokens_map.json / tokenizer_config.json, else `defaultPad`).
 */
export function loadClipTokenizer(dir: string, defaultPad: string): ClipTokenizer {
  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  if (!existsSync(vocabPath) || !existsSync(mergesPath)) {
    throw new Error(`tokenizer at ${dir} needs vocab.json and merges.txt`);
  }
  const special = { ...readJson(join(dir, 'tokenizer_config.json')), ...readJson(join(dir, 'special_tokens_map.json')) };
  const pad = special['pad_token'];
  const padToken =
    typeof pad === 'string' ? pad : pad && typeof pad === 'object' && typeof (pad as Json)['content'] === 'string' ? String((pad as Json)['content']) : defaultPad;
  const maxLength = num(special, 'model_max_length');
  return new ClipTokenizer({
    vocab: JSON.parse(readFileSync(vocabPath, 'utf8')) as Record<string, number>,
    merges: readFileSync(mergesPath, 'utf8'),
    padToken,
    ...(maxLength !== undefined && maxLength <= 1024 ? { maxLength } : {}),
  });
}
