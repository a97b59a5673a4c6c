/**
 * The denoising loop of one stage (§3.5, §3.8): classifier-free guidance over a [neg; pos]
 * batch, one UNet call per step. Every buffer and feed tensor is allocated once per call (one
 * request shape); the steps only write into them.
 */

import type * as ort from 'onnxruntime-node';
import { FloatFeed, readFloat, timestepTensor, type ModelSession } from './onnx-session.js';
import type { Scheduler } from './schedulers/scheduler.js';
import type { StageEmbeddings } from './text-encoding.js';

export interface LatentShape {
  /** Images in the batch (N). */
  count: number;
  channels: number;
  height: number;
  width: number;
}

export interface StageConditioning {
  positive: StageEmbeddings;
  /** Required when guidance is on. */
  negative: StageEmbeddings | undefined;
  /** [N, L] positive time_ids and [N, L] negative time_ids. */
  timeIds: Float32Array;
  negativeTimeIds: Float32Array;
  timeIdsLength: number;
}

export interface DenoiseOptions {
  unet: ModelSession;
  scheduler: Scheduler;
  shape: LatentShape;
  /** [N, C, h, w]; updated in place. */
  latents: Float32Array;
  conditioning: StageConditioning;
  guidanceScale: number;
  /** First and one-past-last step index of the schedule run by this stage. */
  startStep: number;
  endStep: number;
  /** Fills N(0,1) noise for schedulers that need it (per request generator, in row order). */
  fillNoise?: (noise: Float32Array) => void;
  onStep?: (stepIndex: number, done: number, total: number) => void;
}

/** Whether guidance doubles the batch (g > 1, as diffusers' `do_classifier_free_guidance`). */
export function usesGuidance(guidanceScale: number): boolean {
  return guidanceScale > 1;
}

export async function denoise(o: DenoiseOptions): Promise<void> {
  const { unet, scheduler, shape, latents, conditioning: c } = o;
  const cfg = usesGuidance(o.guidanceScale);
  const n = shape.count;
  const batch = cfg ? 2 * n : n;
  const per = shape.channels * shape.height * shape.width;
  const total = o.endStep - o.startStep;
  if (total <= 0) return;
  if (cfg && !c.negative) throw new Error('guidance needs negative embeddings');

  const sample = new FloatFeed(unet.floatType('sample'), [batch, shape.channels, shape.height, shape.width]);
  const pos = c.positive;
  const ehs = new FloatFeed(unet.floatType('encoder_hidden_states'), [batch, pos.seqLen, pos.dim]);
  const textEmbeds = new FloatFeed(unet.floatType('text_embeds'), [batch, pos.pooledDim]);
  const timeIds = new FloatFeed(unet.floatType('time_ids'), [batch, c.timeIdsLength]);
  if (cfg) {
    const neg = c.negative as StageEmbeddings;
    ehs.data.set(neg.embeds, 0);
    ehs.data.set(pos.embeds, neg.embeds.length);
    textEmbeds.data.set(neg.pooled, 0);
    textEmbeds.data.set(pos.pooled, neg.pooled.length);
    timeIds.data.set(c.negativeTimeIds, 0);
    timeIds.data.set(c.timeIds, c.negativeTimeIds.length);
  } else {
    ehs.data.set(pos.embeds);
    textEmbeds.data.set(pos.pooled);
    timeIds.data.set(c.timeIds);
  }
  const timestepInfo = unet.input('timestep');
  const timesteps: ort.Tensor[] = [];
  for (let k = o.startStep; k < o.endStep; k++) timesteps.push(timestepTensor(timestepInfo, scheduler.timestepValue(k)));
  const feeds: Record<string, ort.Tensor> = {
    sample: sample.tensor,
    encoder_hidden_states: ehs.sync(),
    text_embeds: textEmbeds.sync(),
    time_ids: timeIds.sync(),
  };
  const outName = unet.hasOutput('out_sample') ? 'out_sample' : ([...unet.outputs.keys()][0] as string);
  const raw = new Float32Array(batch * per);
  const eps = cfg ? new Float32Array(n * per) : raw;
  const noise = scheduler.needsNoise ? new Float32Array(n * per) : undefined;
  const xin = sample.data.subarray(0, n * per);
  const g = o.guidanceScale;

  for (let k = o.startStep; k < o.endStep; k++) {
    scheduler.scaleModelInput(latents, k, xin);
    if (cfg) sample.data.copyWithin(n * per, 0, n * per);
    sample.sync();
    feeds['timestep'] = timesteps[k - o.startStep] as ort.Tensor;
    const out = await unet.run(feeds, [outName]);
    readFloat(out[outName] as ort.Tensor, raw);
    if (cfg) {
      const off = n * per;
      for (let i = 0; i < eps.length; i++) {
        const u = raw[i] as number;
        eps[i] = u + Math.fround(g * Math.fround((raw[off + i] as number) - u));
      }
    }
    if (noise) o.fillNoise?.(noise);
    scheduler.step(eps, k, latents, noise);
    o.onStep?.(k, k - o.startStep + 1, total);
  }
}
