/**
 * The SDXL pipeline: base (and optional refiner) sessions resident together, one call per
 * group of compatible requests (§3.8–3.10): encode, seed latents, denoise on the base up to
 * `high_noise_frac`, hand the latents to the refiner, decode.
 */

import { ModelSession, type ExecutionProvider, type SessionTimer } from './onnx-session.js';
import { loadClipTokenizer, readPipelineLayout, type PipelineLayout } from './pipeline-layout.js';
import type { GenerationRequest } from './request.js';
import { createScheduler, ensembleSplit } from './schedulers/index.js';
import { ClipTextEncoder, encodeStage, type PromptPair, type StageEmbeddings } from './text-encoding.js';
import { TorchGenerator } from './torch-random.js';
import { denoise, usesGuidance, type LatentShape, type StageConditioning } from './unet-loop.js';
import { decodeLatents, type RgbImage } from './vae-decode.js';

export interface SdxlPipelineOptions {
  executionProviders: ExecutionProvider[];
  intraOpNumThreads?: number;
  /** Told when an execution provider fails and the next one in the list is tried. */
  warn?: (message: string) => void;
}

export interface StageModels {
  layout: PipelineLayout;
  te1: ClipTextEncoder | undefined;
  te2: ClipTextEncoder;
  unet: ModelSession;
  vae: ModelSession;
  timeIdsLength: number;
}

export type Stage = 'base' | 'refiner';

export interface GenerateHooks {
  onStep?: (stage: Stage, done: number, total: number) => void;
}

async function openSession(component: string, path: string, o: SdxlPipelineOptions): Promise<ModelSession> {
  const eps = [...o.executionProviders];
  for (;;) {
    try {
      return await ModelSession.open(component, path, { executionProviders: eps, ...(o.intraOpNumThreads ? { intraOpNumThreads: o.intraOpNumThreads } : {}) });
    } catch (err) {
      if (eps.length <= 1) throw err;
      const dropped = eps.shift();
      o.warn?.(`${component}: execution provider ${JSON.stringify(dropped)} failed (${(err as Error).message}); trying ${JSON.stringify(eps)}`);
    }
  }
}

async function loadStage(root: string, o: SdxlPipelineOptions): Promise<StageModels> {
  const layout = readPipelineLayout(root);
  const te2Layout = layout.textEncoder2 as NonNullable<PipelineLayout['textEncoder2']>;
  const te2Session = await openSession(`${layout.kind}.text_encoder_2`, te2Layout.model, o);
  const te2 = new ClipTextEncoder(te2Session, loadClipTokenizer(te2Layout.tokenizerDir, '!'), te2Layout.numHiddenLayers);
  let te1: ClipTextEncoder | undefined;
  if (layout.textEncoder) {
    const s = await openSession(`${layout.kind}.text_encoder`, layout.textEncoder.model, o);
    te1 = new ClipTextEncoder(s, loadClipTokenizer(layout.textEncoder.tokenizerDir, '<|endoftext|>'), layout.textEncoder.numHiddenLayers);
  }
  const unet = await openSession(`${layout.kind}.unet`, layout.unet, o);
  const vae = await openSession(`${layout.kind}.vae_decoder`, layout.vaeDecoder, o);
  const declared = unet.input('time_ids').shape[1];
  const timeIdsLength = layout.timeIdsLength ?? (typeof declared === 'number' ? declared : layout.kind === 'base' ? 6 : 5);
  if (timeIdsLength !== 5 && timeIdsLength !== 6) throw new Error(`${root}: unsupported time_ids length ${timeIdsLength}`);
  return { layout, te1, te2, unet, vae, timeIdsLength };
}

/** One time_ids row: base [h, w, 0, 0, h, w]; refiner [h, w, 0, 0, aesthetic]. */
export function timeIdsRow(length: number, height: number, width: number, aesthetic: number): number[] {
  return length === 5 ? [height, width, 0, 0, aesthetic] : [height, width, 0, 0, height, width];
}

function repeatRows(row: number[], count: number): Float32Array {
  const out = new Float32Array(row.length * count);
  for (let i = 0; i < count; i++) out.set(row, i * row.length);
  return out;
}

/** Expands per-request embeddings to per-image rows (each request's copies adjacent). */
function expand(e: StageEmbeddings, counts: readonly number[]): StageEmbeddings {
  const rowE = e.seqLen * e.dim;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === counts.length) return e;
  const embeds = new Float32Array(total * rowE);
  const pooled = new Float32Array(total * e.pooledDim);
  let r = 0;
  counts.forEach((n, i) => {
    for (let k = 0; k < n; k++, r++) {
      embeds.set(e.embeds.subarray(i * rowE, (i + 1) * rowE), r * rowE);
      pooled.set(e.pooled.subarray(i * e.pooledDim, (i + 1) * e.pooledDim), r * e.pooledDim);
    }
  });
  return { ...e, embeds, pooled };
}

export class SdxlPipeline {
  readonly base: StageModels;
  readonly refiner: StageModels | undefined;

  private constructor(base: StageModels, refiner: StageModels | undefined) {
    this.base = base;
    this.refiner = refiner;
  }

  static async load(baseRoot: string, refinerRoot: string | undefined, options: SdxlPipelineOptions): Promise<SdxlPipeline> {
    const base = await loadStage(baseRoot, options);
    if (base.layout.kind !== 'base') throw new Error(`${baseRoot} is a refiner pipeline; the base needs text_encoder and time_ids of 6`);
    const refiner = refinerRoot ? await loadStage(refinerRoot, options) : undefined;
    return new SdxlPipeline(base, refiner);
  }

  /** Default image side: unet sample_size × VAE scale factor. */
  get defaultSize(): number {
    return this.base.layout.sampleSize * this.base.layout.vaeScaleFactor;
  }

  sessions(): ModelSession[] {
    const out: ModelSession[] = [];
    for (const s of [this.base, this.refiner]) {
      if (!s) continue;
      if (s.te1) out.push(s.te1.session);
      out.push(s.te2.session, s.unet, s.vae);
    }
    return out;
  }

  setTimer(timer: SessionTimer | undefined): void {
    for (const s of this.sessions()) s.setTimer(timer);
  }

  /** Runs compatible requests (same size/steps/scheduler/guidance/refiner) as one batch; images per request. */
  async generate(group: readonly GenerationRequest[], hooks: GenerateHooks = {}): Promise<RgbImage[][]> {
    const first = group[0];
    if (!first) return [];
    const base = this.base;
    const counts = group.map((r) => r.numImages);
    const n = counts.reduce((a, b) => a + b, 0);
    const scale = base.layout.vaeScaleFactor;
    const shape: LatentShape = { count: n, channels: base.layout.latentChannels, height: first.height / scale, width: first.width / scale };
    const per = shape.channels * shape.height * shape.width;
    const cfg = usesGuidance(first.guidanceScale);
    const steps = first.steps;

    const baseScheduler = createScheduler(first.scheduler, base.layout.scheduler, steps);
    const refiner = first.refiner ? this.refiner : undefined;
    const split = refiner
      ? ensembleSplit(baseScheduler.timesteps, first.highNoiseFrac, base.layout.scheduler.numTrainTimesteps)
      : { baseSteps: steps, refinerStart: steps };

    // Seeded latents: one torch-compatible generator per request, [n_i, C, h, w] each.
    const generators = group.map((r) => new TorchGenerator(r.seed));
    const latents = new Float32Array(n * per);
    const fillNoise = (buf: Float32Array): void => {
      let off = 0;
      group.forEach((r, i) => {
        (generators[i] as TorchGenerator).randn(buf.subarray(off, off + r.numImages * per));
        off += r.numImages * per;
      });
    };
    fillNoise(latents);
    const sigma0 = Math.fround(baseScheduler.initNoiseSigma);
    for (let i = 0; i < latents.length; i++) latents[i] = (latents[i] as number) * sigma0;

    const baseCond = await this.#conditioning(base, group, counts, cfg, 'base');
    await denoise({
      unet: base.unet,
      scheduler: baseScheduler,
      shape,
      latents,
      conditioning: baseCond,
      guidanceScale: first.guidanceScale,
      startStep: 0,
      endStep: split.baseSteps,
      fillNoise,
      onStep: (_k, done, total) => hooks.onStep?.('base', done, total),
    });

    let decoder = base;
    if (refiner && split.refinerStart < steps) {
      const refinerScheduler = createScheduler(first.scheduler, refiner.layout.scheduler, steps);
      const refinerCond = await this.#conditioning(refiner, group, counts, cfg, 'refiner');
      await denoise({
        unet: refiner.unet,
        scheduler: refinerScheduler,
        shape,
        latents,
        conditioning: refinerCond,
        guidanceScale: first.guidanceScale,
        startStep: split.refinerStart,
        endStep: steps,
        fillNoise,
        onStep: (_k, done, total) => hooks.onStep?.('refiner', done, total),
      });
      decoder = refiner;
    }

    const images = await decodeLatents(decoder.vae, latents, shape, decoder.layout.vaeScalingFactor);
    const out: RgbImage[][] = [];
    let k = 0;
    for (const c of counts) {
      out.push(images.slice(k, k + c));
      k += c;
    }
    return out;
  }

  async #conditioning(
    stage: StageModels,
    group: readonly GenerationRequest[],
    counts: readonly number[],
    cfg: boolean,
    kind: Stage,
  ): Promise<StageConditioning> {
    // The refiner has only bigG and encodes `prompt` / `negative_prompt` (not the *_2 variants).
    const positives: PromptPair[] = group.map((r) => ({ text1: r.prompt, text2: kind === 'base' ? r.prompt2 : r.prompt }));
    const positive = expand(await encodeStage(stage.te1, stage.te2, positives), counts);
    let negative: StageEmbeddings | undefined;
    if (cfg) {
      const negatives: PromptPair[] = group.map((r) => ({
        text1: r.negativePrompt ?? '',
        text2: (kind === 'base' ? r.negativePrompt2 : null) ?? r.negativePrompt ?? '',
      }));
      const zero = group.map((r) => r.negativePrompt === null && stage.layout.forceZerosForEmptyPrompt);
      negative = expand(await encodeStage(stage.te1, stage.te2, negatives, zero, positive), counts);
    }
    const n = counts.reduce((a, b) => a + b, 0);
    const r = group[0] as GenerationRequest;
    const len = stage.timeIdsLength;
    return {
      positive,
      negative,
      timeIds: repeatRows(timeIdsRow(len, r.height, r.width, r.aestheticScore), n),
      negativeTimeIds: repeatRows(timeIdsRow(len, r.height, r.width, r.negativeAestheticScore), n),
      timeIdsLength: len,
    };
  }

  async release(): Promise<void> {
    for (const s of this.sessions()) await s.release();
  }
}
