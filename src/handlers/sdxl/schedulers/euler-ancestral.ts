/** diffusers' EulerAncestralDiscreteScheduler, float32. Pure: the caller supplies the noise. */

import { EulerSigmaScheduler, eulerPredOriginal } from './euler.js';

const f = Math.fround;

export class EulerAncestralDiscreteScheduler extends EulerSigmaScheduler {
  /** diffusers draws noise at every step, the last (σ_up = 0) included. */
  readonly needsNoise = true;

  step(modelOutput: Float32Array, k: number, sample: Float32Array, noise?: Float32Array): void {
    if (!noise) throw new Error('euler_ancestral step needs noise');
    const from = this.sigmas[k] as number;
    const to = this.sigmas[k + 1] as number;
    const from2 = f(from * from);
    const to2 = f(to * to);
    const up = f(Math.sqrt(f(f(to2 * f(from2 - to2)) / from2)));
    const down = f(Math.sqrt(f(to2 - f(up * up))));
    const dt = f(down - from);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i] as number;
      const pred = eulerPredOriginal(this.cfg, from, x, modelOutput[i] as number);
      const derivative = f(f(x - pred) / from);
      const prev = f(x + f(derivative * dt));
      sample[i] = prev + f((noise[i] as number) * up);
    }
  }
}
