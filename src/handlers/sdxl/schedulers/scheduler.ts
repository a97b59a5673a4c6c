/**
 * The scheduler seam of the SDXL denoising loop. Implementations are pure, work in place on
 * float32 buffers and never allocate per step.
 */

export interface Scheduler {
  /** Inference timesteps, highest first (length = steps). */
  readonly timesteps: Float64Array;
  /** Scale of the initial N(0,1) latents. */
  readonly initNoiseSigma: number;
  /** Whether `step` adds fresh N(0,1) noise (the caller fills `noise` before each step). */
  readonly needsNoise: boolean;
  /** The value fed to the UNet's `timestep` input at step k. */
  timestepValue(k: number): number;
  /** `out = scale_model_input(sample, t_k)`; `out` may be `sample`. */
  scaleModelInput(sample: Float32Array, k: number, out: Float32Array): void;
  /** In place: `sample ← step(modelOutput, t_k, sample)`; `noise` is N(0,1) when `needsNoise`. */
  step(modelOutput: Float32Array, k: number, sample: Float32Array, noise?: Float32Array): void;
}

export const SCHEDULER_NAMES = ['euler', 'euler_ancestral', 'ddim'] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];
