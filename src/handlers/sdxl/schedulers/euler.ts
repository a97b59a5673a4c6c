/** diffusers' EulerDiscreteScheduler (s_churn = 0, linear sigma interpolation), float32. Pure. */

import type { Scheduler } from './scheduler.js';
import { inferenceTimesteps, interpolate, trainingTables, type SchedulerConfig } from './schedule-tables.js';

const f = Math.fround;

/** Euler sigmas: σ(t_k) interpolated from the training table, plus a final 0 (length S+1). */
export function eulerSigmas(cfg: SchedulerConfig, timesteps: Float64Array): Float32Array {
  const table = trainingTables(cfg).sigmas;
  const sigmas = new Float32Array(timesteps.length + 1);
  for (let k = 0; k < timesteps.length; k++) sigmas[k] = interpolate(table, timesteps[k] as number);
  return sigmas;
}

/** init_noise_sigma: √(σ_max²+1) for leading spacing, σ_max otherwise. */
export function eulerInitNoiseSigma(cfg: SchedulerConfig, sigmas: Float32Array): number {
  let max = 0;
  for (const s of sigmas) if (s > max) max = s;
  return cfg.timestepSpacing === 'leading' ? f(Math.sqrt(f(f(max * max) + 1))) : max;
}

export function eulerScaleModelInput(sigmas: Float32Array, sample: Float32Array, k: number, out: Float32Array): void {
  const s = sigmas[k] as number;
  const denom = f(Math.sqrt(f(f(s * s) + 1)));
  for (let i = 0; i < sample.length; i++) out[i] = (sample[i] as number) / denom;
}

/** x̂₀ for one element (float32 arithmetic as torch). */
export function eulerPredOriginal(cfg: SchedulerConfig, sigma: number, x: number, eps: number): number {
  if (cfg.predictionType === 'epsilon') return f(x - f(sigma * eps));
  if (cfg.predictionType === 'sample') return eps;
  const s2 = f(f(sigma * sigma) + 1);
  return f(f(eps * f(-sigma / f(Math.sqrt(s2)))) + f(x / s2));
}

export class EulerDiscreteScheduler implements Scheduler {
  readonly timesteps: Float64Array;
  readonly sigmas: Float32Array;
  readonly initNoiseSigma: number;
  readonly needsNoise = false;
  readonly #cfg: SchedulerConfig;

  constructor(cfg: SchedulerConfig, steps: number) {
    this.#cfg = cfg;
    this.timesteps = inferenceTimesteps(cfg, steps);
    this.sigmas = eulerSigmas(cfg, this.timesteps);
    this.initNoiseSigma = eulerInitNoiseSigma(cfg, this.sigmas);
  }

  timestepValue(k: number): number {
    return f(this.timesteps[k] as number);
  }

  scaleModelInput(sample: Float32Array, k: number, out: Float32Array): void {
    eulerScaleModelInput(this.sigmas, sample, k, out);
  }

  step(modelOutput: Float32Array, k: number, sample: Float32Array): void {
    const sigma = this.sigmas[k] as number;
    const dt = f((this.sigmas[k + 1] as number) - sigma);
    const cfg = this.#cfg;
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i] as number;
      const pred = eulerPredOriginal(cfg, sigma, x, modelOutput[i] as number);
      const derivative = f(f(x - pred) / sigma);
      sample[i] = x + f(derivative * dt);
    }
  }
}
