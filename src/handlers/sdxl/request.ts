/**
 * SDXL request decoding and validation. A plain-text body is the prompt; a JSON object carries
 * the parameters below. Every rejection is an `InvalidInputError` naming the field and its limit.
 */

import { InvalidInputError } from '../../errors/errors.js';
import type { HandlerRequest } from '../handler.js';
import { OUTPUT_FORMATS, type OutputFormat } from './image-encode.js';
import { SCHEDULER_NAMES, type SchedulerName } from './schedulers/scheduler.js';

export interface SdxlLimits {
  /** Default height/width: unet sample_size × VAE scale factor. */
  defaultSize: number;
  defaultSteps: number;
  maxSteps: number;
  /** Largest height × width. */
  maxPixels: number;
  /** height and width must be multiples of this (≥ 8). */
  sizeMultiple: number;
  maxImagesPerPrompt: number;
  refinerAvailable: boolean;
}

export interface GenerationRequest {
  prompt: string;
  /** For text_encoder_2 on the base (defaults to prompt). */
  prompt2: string;
  /** null = not given (the base then uses zero embeddings). */
  negativePrompt: string | null;
  negativePrompt2: string | null;
  steps: number;
  guidanceScale: number;
  height: number;
  width: number;
  /** Generator seed (torch CPU compatible); chosen at random when absent. */
  seed: bigint;
  numImages: number;
  refiner: boolean;
  highNoiseFrac: number;
  scheduler: SchedulerName;
  outputFormat: OutputFormat;
  stream: boolean;
  /** Final stream chunk as a base64 JSON line instead of raw image bytes. */
  streamBase64: boolean;
  aestheticScore: number;
  negativeAestheticScore: number;
}

type Json = Record<string, unknown>;

const SCHEDULER_ALIASES: Record<string, SchedulerName> = {
  euler: 'euler',
  eulerdiscretescheduler: 'euler',
  euler_ancestral: 'euler_ancestral',
  euler_a: 'euler_ancestral',
  eulerancestraldiscretescheduler: 'euler_ancestral',
  ddim: 'ddim',
  ddimscheduler: 'ddim',
};

function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return undefined;
}

/** The request's parameters as an object: JSON body, or `{prompt: text}` for a text body. */
export function requestObject(req: HandlerRequest): Json {
  let body = req.body ?? req.parameters['body'] ?? req.parameters['data'];
  const text = bodyText(body);
  if (text !== undefined) {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) {
      try {
        body = JSON.parse(trimmed) as unknown;
      } catch {
        return { prompt: text };
      }
    } else return { prompt: text };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidInputError('body: expected a text prompt or a JSON object with "prompt"');
  }
  const obj = body as Json;
  // KServe v1 style: {"instances": [ {...} | "prompt" ]} with one instance.
  if (obj['prompt'] === undefined && Array.isArray(obj['instances']) && obj['instances'].length === 1) {
    const inst: unknown = obj['instances'][0];
    return typeof inst === 'string' ? { prompt: inst } : (inst as Json);
  }
  if (obj['prompt'] === undefined && typeof obj['data'] === 'string') return { ...obj, prompt: obj['data'] };
  return obj;
}

function optionalString(o: Json, key: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new InvalidInputError(`${key}: must be a string`);
  return v;
}

function integer(o: Json, key: string, def: number, min: number, max: number): number {
  const v = o[key] ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidInputError(`${key}: must be an integer`);
  if (v < min || v > max) throw new InvalidInputError(`${key}: must be between ${min} and ${max} (got ${v})`);
  return v;
}

function number(o: Json, key: string, def: number, min: number, max: number, exclusive = false): number {
  const v = o[key] ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidInputError(`${key}: must be a number`);
  const bad = exclusive ? v <= min || v >= max : v < min || v > max;
  if (bad) throw new InvalidInputError(`${key}: must be ${exclusive ? 'strictly ' : ''}between ${min} and ${max} (got ${v})`);
  return v;
}

function bool(o: Json, key: string, def: boolean): boolean {
  const v = o[key] ?? def;
  if (typeof v !== 'boolean') throw new InvalidInputError(`${key}: must be true or false`);
  return v;
}

function seedOf(o: Json, random: () => bigint): bigint {
  const v = o['seed'];
  if (v === undefined || v === null) return random();
  const max = 2n ** 64n - 1n;
  let s: bigint;
  if (typeof v === 'number' && Number.isSafeInteger(v)) s = BigInt(v);
  else if (typeof v === 'string' && /^\d+$/.test(v)) s = BigInt(v);
  else throw new InvalidInputError('seed: must be an integer between 0 and 2^64-1');
  if (s < 0n || s > max) throw new InvalidInputError('seed: must be an integer between 0 and 2^64-1');
  return s;
}

function headerFlag(req: HandlerRequest, name: string): boolean {
  const v = Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
  return v !== undefined && /^(1|true|yes)$/i.test(String(v).trim());
}

export function defaultSeed(): bigint {
  return BigInt(Math.floor(Math.random() * 2 ** 32));
}

/** Decodes and validates one request. */
export function parseRequest(req: HandlerRequest, limits: SdxlLimits, random: () => bigint = defaultSeed): GenerationRequest {
  const o = requestObject(req);
  const prompt = o['prompt'];
  if (typeof prompt !== 'string') throw new InvalidInputError('prompt: must be a string');
  const negativePrompt = optionalString(o, 'negative_prompt');
  const height = integer(o, 'height', limits.defaultSize, limits.sizeMultiple, 1 << 16);
  const width = integer(o, 'width', limits.defaultSize, limits.sizeMultiple, 1 << 16);
  for (const [k, v] of [['height', height], ['width', width]] as const) {
    if (v % limits.sizeMultiple !== 0) throw new InvalidInputError(`${k}: must be a multiple of ${limits.sizeMultiple} (got ${v})`);
  }
  if (height * width > limits.maxPixels) {
    throw new InvalidInputError(`height x width: must be at most ${limits.maxPixels} pixels (got ${height}x${width})`);
  }
  const refinerAsked = o['refiner'];
  if (refinerAsked === true && !limits.refinerAvailable) throw new InvalidInputError('refiner: this model has no refiner');
  const schedulerRaw = o['scheduler'] ?? 'euler';
  const scheduler = typeof schedulerRaw === 'string' ? SCHEDULER_ALIASES[schedulerRaw.toLowerCase()] : undefined;
  if (!scheduler) throw new InvalidInputError(`scheduler: must be one of ${SCHEDULER_NAMES.join(', ')}`);
  const formatRaw = o['output_format'] ?? 'png';
  const format = typeof formatRaw === 'string' ? formatRaw.toLowerCase().replace(/^jpg$/, 'jpeg') : '';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new InvalidInputError(`output_format: must be one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  const stream = bool(o, 'stream', false) || headerFlag(req, 'ts_stream') || headerFlag(req, 'x-nserve-stream');
  return {
    prompt,
    prompt2: optionalString(o, 'prompt_2') ?? prompt,
    negativePrompt,
    negativePrompt2: optionalString(o, 'negative_prompt_2'),
    steps: integer(o, 'num_inference_steps', limits.defaultSteps, 1, limits.maxSteps),
    guidanceScale: number(o, 'guidance_scale', 5.0, 0, 100),
    height,
    width,
    seed: seedOf(o, random),
    numImages: integer(o, 'num_images_per_prompt', 1, 1, limits.maxImagesPerPrompt),
    refiner: bool(o, 'refiner', limits.refinerAvailable),
    highNoiseFrac: number(o, 'high_noise_frac', 0.8, 0, 1, true),
    scheduler,
    outputFormat: format as OutputFormat,
    stream,
    streamBase64: o['stream_image'] === 'base64',
    aestheticScore: number(o, 'aesthetic_score', 6.0, -100, 100),
    negativeAestheticScore: number(o, 'negative_aesthetic_score', 2.5, -100, 100),
  };
}

/** Requests with equal keys run as one UNet batch. */
export function batchKey(r: GenerationRequest): string {
  return JSON.stringify([
    r.steps,
    r.guidanceScale,
    r.height,
    r.width,
    r.refiner,
    r.refiner ? r.highNoiseFrac : 0,
    r.scheduler,
    r.refiner ? [r.aestheticScore, r.negativeAestheticScore] : 0,
    r.stream,
  ]);
}

/** Groups request indexes by `batchKey`, keeping first-seen order. */
export function groupCompatible(requests: readonly GenerationRequest[]): number[][] {
  const groups = new Map<string, number[]>();
  requests.forEach((r, i) => {
    const key = batchKey(r);
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  return [...groups.values()];
}
