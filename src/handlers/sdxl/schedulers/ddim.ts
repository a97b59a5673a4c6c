/** diffusers' DDIMScheduler (integer timesteps, eta ≥ 0), float32. Pure. */

import type { Scheduler } from './scheduler.js';
import { inferenceTimesteps, trainingTables, type SchedulerConfig } from './schedule-tables.js';

const f = Math.fround;

export class DdimScheduler implements Scheduler {
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  readonly needsNoise: boolean;
  readonly #cfg: SchedulerConfig;
  readonly #alphasCumprod: Float32Array;
  readonly #finalAlphaCumprod: number;
  readonly #stride: number;
  readonly #eta: number;

  constructor(cfg: SchedulerConfig, steps: number, eta = 0) {
    this.#cfg = cfg;
    this.#eta = eta;
    this.needsNoise = eta > 0;
    this.timesteps = inferenceTimesteps(cfg, steps).map(Math.round);
    this.#alphasCumprod = trainingTables(cfg).alphasCumprod;
    this.#finalAlphaCumprod = cfg.setAlphaToOne ? 1 : (this.#alphasCumprod[0] as number);
    this.#stride = Math.floor(cfg.numTrainTimesteps / steps);
  }

  timestepValue(k: number): number {
    return this.timesteps[k] as number;
  }

  scaleModelInput(sample: Float32Array, _k: number, out: Float32Array): void {
    if (out !== sample) out.set(sample);
  }

  step(modelOutput: Float32Array, k: number, sample: Float32Array, noise?: Float32Array): void {
    const t = this.timesteps[k] as number;
    const prevT = t - this.#stride;
    const cfg = this.#cfg;
    const at = this.#alphasCumprod[t] as number;
    const aPrev = prevT >= 0 ? (this.#alphasCumprod[prevT] as number) : this.#finalAlphaCumprod;
    const bt = f(1 - at);
    const bPrev = f(1 - aPrev);
    const sqrtAt = f(Math.sqrt(at));
    const sqrtBt = f(Math.sqrt(bt));
    const variance = f(f(bPrev / bt) * f(1 - f(at / aPrev)));
    const std = f(this.#eta * f(Math.sqrt(variance)));
    const dirScale = f(Math.sqrt(f(f(1 - aPrev) - f(std * std))));
    const sqrtAPrev = f(Math.sqrt(aPrev));
    const range = cfg.clipSampleRange;
    if (this.needsNoise && !noise) throw new Error('ddim step with eta > 0 needs noise');
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i] as number;
      const e = modelOutput[i] as number;
      let pred: number;
      let eps: number;
      if (cfg.predictionType === 'epsilon') {
        pred = f(f(x - f(sqrtBt * e)) / sqrtAt);
        eps = e;
      } else if (cfg.predictionType === 'sample') {
        pred = e;
        eps = f(f(x - f(sqrtAt * pred)) / sqrtBt);
      } else {
        pred = f(f(sqrtAt * x) - f(sqrtBt * e));
        eps = f(f(sqrtAt * e) + f(sqrtBt * x));
      }
      if (cfg.clipSample) pred = Math.min(range, Math.max(-range, pred));
      let prev = f(f(sqrtAPrev * pred) + f(dirScale * eps));
      if (noise && this.needsNoise) prev = f(prev + f(std * (noise[i] as number)));
      sample[i] = prev;
    }
  }
}
