import { describe, expect, it } from 'vitest';
import { DdimScheduler } from '../../../../../src/handlers/sdxl/schedulers/ddim.js';
import { EulerAncestralDiscreteScheduler } from '../../../../../src/handlers/sdxl/schedulers/euler-ancestral.js';
import { EulerDiscreteScheduler } from '../../../../../src/handlers/sdxl/schedulers/euler.js';
import {
  SDXL_SCHEDULER_CONFIG,
  ensembleCutoff,
  ensembleSplit,
  inferenceTimesteps,
  parseSchedulerConfig,
  trainingTables,
  type SchedulerConfig,
} from '../../../../../src/handlers/sdxl/schedulers/schedule-tables.js';

/** diffusers tests/schedulers/test_schedulers.py: arange(768)/768 (element order is irrelevant to Σ|x|). */
function dummySample(): Float32Array {
  return Float32Array.from({ length: 768 }, (_, i) => i / 768);
}
/** dummy_model(x, t) = x·t/(t+1) in float32. */
function dummyModel(x: Float32Array, t: number): Float32Array {
  const tf = Math.fround(t);
  const ratio = Math.fround(tf / Math.fround(tf + 1));
  return x.map((v) => v * ratio);
}
const sumAbs = (x: Float32Array): number => x.reduce((a, v) => a + Math.abs(v), 0);

describe('SDXL schedule tables', () => {
  const tables = trainingTables(SDXL_SCHEDULER_CONFIG);
  it.each([
    [1, 0.998296, 0.0413145],
    [201, 0.752143, 0.574051],
    [501, 0.274999, 1.62369],
    [958, 0.00753476, 11.4769],
    [999, 0.00466009, 14.6147],
  ])('ᾱ and σ at t=%i match the float32 reference', (t, abar, sigma) => {
    expect(tables.alphasCumprod[t]).toBeCloseTo(abar, 5);
    expect(Math.abs((tables.sigmas[t] as number) - sigma) / sigma).toBeLessThan(1e-5);
  });

  it('leading timesteps for 30, 50, 10 steps', () => {
    const t30 = Array.from(inferenceTimesteps(SDXL_SCHEDULER_CONFIG, 30));
    expect(t30.slice(0, 3)).toEqual([958, 925, 892]);
    expect(t30.slice(-3)).toEqual([67, 34, 1]);
    const t50 = Array.from(inferenceTimesteps(SDXL_SCHEDULER_CONFIG, 50));
    expect([t50[0], t50[1], t50.at(-2), t50.at(-1)]).toEqual([981, 961, 21, 1]);
    expect(Array.from(inferenceTimesteps(SDXL_SCHEDULER_CONFIG, 10))).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    const trailing = { ...SDXL_SCHEDULER_CONFIG, timestepSpacing: 'trailing' as const };
    expect(Array.from(inferenceTimesteps(trailing, 4))).toEqual([999, 749, 499, 249]);
  });

  it('Euler sigmas and init_noise_sigma for 30/40/50 steps', () => {
    const cases: [number, number, number][] = [
      [30, 11.4769, 11.5203],
      [40, 12.7394, 12.7786],
      [50, 13.1204, 13.1585],
    ];
    for (const [steps, sigma0, init] of cases) {
      const s = new EulerDiscreteScheduler(SDXL_SCHEDULER_CONFIG, steps);
      expect(s.sigmas).toHaveLength(steps + 1);
      expect(s.sigmas[0]).toBeCloseTo(sigma0, 3);
      expect(s.initNoiseSigma).toBeCloseTo(init, 3);
      expect(s.sigmas[steps - 1]).toBeCloseTo(0.041314, 5);
      expect(s.sigmas[steps]).toBe(0);
    }
  });

  it('scale_model_input divides by √(σ²+1)', () => {
    const s = new EulerDiscreteScheduler(SDXL_SCHEDULER_CONFIG, 30);
    const out = new Float32Array(1);
    s.scaleModelInput(Float32Array.of(11.5203), 0, out);
    expect(out[0]).toBeCloseTo(1, 4);
  });
});

describe('scheduler test vectors (diffusers tests/schedulers)', () => {
  it('Euler full loop: Σ|x| = 10.0807, mean 0.0131', () => {
    const cfg: SchedulerConfig = {
      ...SDXL_SCHEDULER_CONFIG,
      numTrainTimesteps: 1100,
      betaStart: 0.0001,
      betaEnd: 0.02,
      betaSchedule: 'linear',
      timestepSpacing: 'linspace',
      stepsOffset: 0,
    };
    const s = new EulerDiscreteScheduler(cfg, 10);
    let sample = dummySample().map((v) => v * s.initNoiseSigma);
    for (let k = 0; k < 10; k++) {
      const scaled = new Float32Array(sample.length);
      s.scaleModelInput(sample, k, scaled);
      sample = scaled; // the diffusers test overwrites the sample with the scaled input
      s.step(dummyModel(sample, s.timestepValue(k)), k, sample);
    }
    expect(sumAbs(sample)).toBeCloseTo(10.0807, 3);
    expect(sumAbs(sample) / 768).toBeCloseTo(0.0131, 3);
  });

  it('DDIM full loop: Σ|x| = 172.0067, mean 0.223967', () => {
    const cfg: SchedulerConfig = {
      ...SDXL_SCHEDULER_CONFIG,
      betaStart: 0.0001,
      betaEnd: 0.02,
      betaSchedule: 'linear',
      stepsOffset: 0,
      clipSample: true,
      setAlphaToOne: true,
    };
    const s = new DdimScheduler(cfg, 10);
    expect(Array.from(s.timesteps)).toEqual([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    const sample = dummySample();
    for (let k = 0; k < 10; k++) s.step(dummyModel(sample, s.timestepValue(k)), k, sample);
    expect(sumAbs(sample)).toBeCloseTo(172.0067, 2);
    expect(sumAbs(sample) / 768).toBeCloseTo(0.223967, 4);
  });

  it('Euler ancestral with zero noise at the last step lands on x̂₀ (σ_up = 0)', () => {
    const s = new EulerAncestralDiscreteScheduler(SDXL_SCHEDULER_CONFIG, 30);
    const x = Float32Array.of(2, -1);
    const eps = Float32Array.of(0.5, 0.25);
    const sigma = s.sigmas[29] as number;
    s.step(eps, 29, x, Float32Array.of(100, 100));
    expect(x[0]).toBeCloseTo(2 - sigma * 0.5, 5);
    expect(x[1]).toBeCloseTo(-1 - sigma * 0.25, 5);
  });

  it('Euler ancestral adds σ_up·noise (differs from Euler mid-schedule)', () => {
    const ea = new EulerAncestralDiscreteScheduler(SDXL_SCHEDULER_CONFIG, 30);
    const a = Float32Array.of(1);
    const b = Float32Array.of(1);
    ea.step(Float32Array.of(0.1), 5, a, Float32Array.of(0));
    ea.step(Float32Array.of(0.1), 5, b, Float32Array.of(1));
    const from = ea.sigmas[5] as number;
    const to = ea.sigmas[6] as number;
    const up = Math.sqrt((to * to * (from * from - to * to)) / (from * from));
    expect((b[0] as number) - (a[0] as number)).toBeCloseTo(up, 4);
  });
});

describe('base/refiner ensemble split', () => {
  it.each([
    [30, 23, 23],
    [40, 32, 32],
    [50, 40, 40],
  ])('%i steps at 0.8 → base %i steps, refiner from %i', (steps, base, start) => {
    const t = inferenceTimesteps(SDXL_SCHEDULER_CONFIG, steps);
    const split = ensembleSplit(t, 0.8);
    expect(split.baseSteps).toBe(base);
    expect(split.refinerStart).toBe(start);
    expect(steps - split.refinerStart).toBe(steps - base);
  });

  it('cutoff rounds half to even on 1000 − f·1000', () => {
    expect(ensembleCutoff(0.8)).toBe(200);
    expect(ensembleCutoff(0.7995)).toBe(200);
    expect(Math.round(1000 - 0.7995 * 1000)).toBe(201);
  });

  it('parses scheduler_config.json keys', () => {
    const cfg = parseSchedulerConfig({ timestep_spacing: 'trailing', steps_offset: 0, beta_schedule: 'linear' });
    expect(cfg.timestepSpacing).toBe('trailing');
    expect(cfg.stepsOffset).toBe(0);
    expect(cfg.betaSchedule).toBe('linear');
    expect(cfg.betaEnd).toBe(0.012);
  });
});
