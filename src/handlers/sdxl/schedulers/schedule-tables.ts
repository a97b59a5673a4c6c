/**
 * Training-schedule tables and inference timesteps shared by the SDXL schedulers, computed in
 * float32 as diffusers does. Pure.
 */

export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';

export interface SchedulerConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: 'scaled_linear' | 'linear';
  predictionType: PredictionType;
  timestepSpacing: TimestepSpacing;
  stepsOffset: number;
  /** DDIM only. */
  clipSample: boolean;
  clipSampleRange: number;
  setAlphaToOne: boolean;
}

/** SDXL's scheduler_config.json values (base, refiner and most fine-tunes). */
export const SDXL_SCHEDULER_CONFIG: SchedulerConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  predictionType: 'epsilon',
  timestepSpacing: 'leading',
  stepsOffset: 1,
  clipSample: false,
  clipSampleRange: 1,
  setAlphaToOne: false,
};

/** Reads a diffusers `scheduler_config.json` object; missing keys take SDXL's values. */
export function parseSchedulerConfig(json: Record<string, unknown>): SchedulerConfig {
  const num = (k: string, d: number): number => (typeof json[k] === 'number' ? (json[k] as number) : d);
  const bool = (k: string, d: boolean): boolean => (typeof json[k] === 'boolean' ? (json[k] as boolean) : d);
  const d = SDXL_SCHEDULER_CONFIG;
  const schedule = json['beta_schedule'];
  const spacing = json['timestep_spacing'];
  const prediction = json['prediction_type'];
  return {
    numTrainTimesteps: num('num_train_timesteps', d.numTrainTimesteps),
    betaStart: num('beta_start', d.betaStart),
    betaEnd: num('beta_end', d.betaEnd),
    betaSchedule: schedule === 'linear' ? 'linear' : 'scaled_linear',
    predictionType: prediction === 'v_prediction' || prediction === 'sample' ? prediction : 'epsilon',
    timestepSpacing: spacing === 'trailing' || spacing === 'linspace' ? spacing : 'leading',
    stepsOffset: num('steps_offset', d.stepsOffset),
    clipSample: bool('clip_sample', d.clipSample),
    clipSampleRange: num('clip_sample_range', d.clipSampleRange),
    setAlphaToOne: bool('set_alpha_to_one', d.setAlphaToOne),
  };
}

/** torch.linspace(start, end, n) in float32. */
function linspace32(start: number, end: number, n: number): Float32Array {
  const out = new Float32Array(n);
  const step = Math.fround((Math.fround(end) - Math.fround(start)) / (n - 1));
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    out[i] = i < half ? Math.fround(start) + i * step : Math.fround(end) - (n - 1 - i) * step;
  }
  return out;
}

export interface TrainingTables {
  betas: Float32Array;
  alphasCumprod: Float32Array;
  /** σ_i = √((1 − ᾱ_i)/ᾱ_i). */
  sigmas: Float32Array;
}

export function trainingTables(cfg: SchedulerConfig): TrainingTables {
  const n = cfg.numTrainTimesteps;
  let betas: Float32Array;
  if (cfg.betaSchedule === 'linear') betas = linspace32(cfg.betaStart, cfg.betaEnd, n);
  else {
    betas = linspace32(Math.sqrt(cfg.betaStart), Math.sqrt(cfg.betaEnd), n);
    for (let i = 0; i < n; i++) betas[i] = (betas[i] as number) * (betas[i] as number);
  }
  const alphasCumprod = new Float32Array(n);
  const sigmas = new Float32Array(n);
  let acc = 1; // torch's CPU cumprod accumulates in double
  for (let i = 0; i < n; i++) {
    acc *= Math.fround(1 - (betas[i] as number));
    const a = Math.fround(acc);
    alphasCumprod[i] = a;
    sigmas[i] = Math.sqrt(Math.fround(Math.fround(1 - a) / a));
  }
  return { betas, alphasCumprod, sigmas };
}

/** Inference timesteps, highest first (fractional values kept for linspace). */
export function inferenceTimesteps(cfg: SchedulerConfig, steps: number): Float64Array {
  const n = cfg.numTrainTimesteps;
  const out = new Float64Array(steps);
  if (cfg.timestepSpacing === 'leading') {
    const ratio = Math.floor(n / steps);
    for (let k = 0; k < steps; k++) out[k] = (steps - 1 - k) * ratio + cfg.stepsOffset;
  } else if (cfg.timestepSpacing === 'trailing') {
    const ratio = n / steps;
    for (let k = 0; k < steps; k++) out[k] = roundHalfEven(n - k * ratio) - 1;
  } else {
    for (let k = 0; k < steps; k++) {
      out[k] = steps === 1 ? 0 : Math.fround((n - 1) * ((steps - 1 - k) / (steps - 1)));
    }
  }
  return out;
}

/** numpy.interp over the integer grid 0…len−1. */
export function interpolate(table: Float32Array, t: number): number {
  if (t <= 0) return table[0] as number;
  const last = table.length - 1;
  if (t >= last) return table[last] as number;
  const i = Math.floor(t);
  const frac = t - i;
  const a = table[i] as number;
  const b = table[i + 1] as number;
  return frac === 0 ? a : a + (b - a) * frac;
}

/** Python's round(): half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** diffusers' ensemble cutoff: int(round(T − f·T)), computed exactly in float64. */
export function ensembleCutoff(fraction: number, numTrainTimesteps = 1000): number {
  return roundHalfEven(numTrainTimesteps - fraction * numTrainTimesteps);
}

export interface EnsembleSplit {
  /** Steps run by the base: timesteps[0 … baseSteps−1] (those ≥ cutoff). */
  baseSteps: number;
  /** First step index run by the refiner (S − count(t < cutoff)). */
  refinerStart: number;
}

/** Base/refiner split of one S-step schedule at `denoising_end = denoising_start = fraction`. */
export function ensembleSplit(timesteps: ArrayLike<number>, fraction: number, numTrainTimesteps = 1000): EnsembleSplit {
  const cutoff = ensembleCutoff(fraction, numTrainTimesteps);
  let base = 0;
  let below = 0;
  for (let k = 0; k < timesteps.length; k++) {
    const t = timesteps[k] as number;
    if (t >= cutoff) base++;
    if (t < cutoff) below++;
  }
  return { baseSteps: base, refinerStart: timesteps.length - below };
}
