/** diffusers' EulerDiscreteScheduler (s_churn = 0, linear sigma interpolation) and the σ schedule it shares with Euler-ancestral, float32. Pure. */

import type { Scheduler } from './scheduler.js';
import { inferenceTimesteps, interpolate, trainingTables, type SchedulerConfig } from './schedule-tables.js';

const f = Math.fround;

/** x̂₀ for one element (float32 arithmetic as torch). */
export function eulerPredOriginal(cfg: SchedulerConfig, sigma: number, x: number, eps: number): number {
  if (cfg.predictionType === 'epsilon') return f(x - f(sigma * eps));
  if (cfg.predictionType === 'sample') return eps;
  const s2 = f(f(sigma * sigma) + 1);
  return f(f(eps * f(-sigma / f(Math.sqrt(s2)))) + f(x / s2));
}

/**
 * What diffusers' Euler and Euler-ancestral schedulers share: the timesteps, the σ table (σ(t_k)
 * interpolated from the training table, plus a final 0: length S+1), init_noise_sigma and
 * scale_model_input. Subclasses supply `step`.
 */
export abstract class EulerSigmaScheduler implements Scheduler {
  readonly timesteps: Float64Array;
  readonly sigmas: Float32Array;
  readonly initNoiseSigma: number;
  abstract readonly needsNoise: boolean;
  protected readonly cfg: SchedulerConfig;

  constructor(cfg: SchedulerConfig, steps: number) {
    this.cfg = cfg;
    this.timesteps = inferenceTimesteps(cfg, steps);
    const table = trainingTables(cfg).sigmas;
    this.sigmas = new Float32Array(this.timesteps.length + 1);
    for (let k = 0; k < this.timesteps.length; k++) this.sigmas[k] = interpolate(table, this.timesteps[k] as number);
    // init_noise_sigma: √(σ_max²+1) for leading spacing, σ_max otherwise.
    let max = 0;
    for (const s of this.sigmas) if (s > max) max = s;
    this.initNoiseSigma = cfg.timestepSpacing === 'leading' ? f(Math.sqrt(f(f(max * max) + 1))) : max;
  }

  timestepValue(k: number): number {
    return f(this.timesteps[k] as number);
  }

  scaleModelInput(sample: Float32Array, k: number, out: Float32Array): void {
    const s = this.sigmas[k] as number;
    const denom = f(Math.sqrt(f(f(s * s) + 1)));
    for (let i = 0; i < sample.length; i++) out[i] = (sample[i] as number) / denom;
  }

  abstract step(modelOutput: Float32Array, k: number, sample: Float32Array, noise?: Float32Array): void;
}

export class EulerDiscreteScheduler extends EulerSigmaScheduler {
  readonly needsNoise = false;

  step(modelOutput: Float32Array, k: number, sample: Float32Array): void {
    const sigma = this.sigmas[k] as number;
    const dt = f((this.sigmas[k + 1] as number) - sigma);
    const cfg = this.cfg;
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i] as number;
      const pred = eulerPredOriginal(cfg, sigma, x, modelOutput[i] as number);
      const derivative = f(f(x - pred) / sigma);
      sample[i] = x + f(derivative * dt);
    }
  }
}
