/**
 * SDXL pipeline overhead benchmark: times every pure `session.run` and compares their sum with
 * the pipeline's wall time (goal: wall / Σ runs ≤ 1.03). Prints one JSON object.
 *
 *   npm run bench:sdxl -- --model DIR [--steps 30] [--size 1024] [--ep cpu|webgpu|cuda]
 *     [--runs 3] [--batch 1] [--guidance 5] [--no-refiner] [--high-noise-frac 0.8]
 *   npm run bench:sdxl -- --build tiny|small [--fp16] [--refiner]   (synthetic model in a temp dir)
 *
 * DIR is an extracted archive (model/ + refiner/) or a pipeline folder. Precision is the
 * model's (fp16 exports are detected from the session metadata and reported).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SdxlPipeline } from '../../src/handlers/sdxl/pipeline.js';
import { findPipelineRoots } from '../../src/handlers/sdxl/pipeline-layout.js';
import type { GenerationRequest } from '../../src/handlers/sdxl/request.js';
import type { SchedulerName } from '../../src/handlers/sdxl/schedulers/scheduler.js';
import { buildSdxlPipeline } from '../../src/tools/sdxl/build-pipeline.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    build: { type: 'string' },
    fp16: { type: 'boolean', default: false },
    refiner: { type: 'boolean', default: false },
    'no-refiner': { type: 'boolean', default: false },
    steps: { type: 'string', default: '30' },
    size: { type: 'string' },
    ep: { type: 'string', default: 'cpu' },
    runs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1' },
    guidance: { type: 'string', default: '5' },
    scheduler: { type: 'string', default: 'euler' },
    // Fraction of the steps run by the base before the refiner takes over (40 steps at 0.75 = 30 + 10).
    'high-noise-frac': { type: 'string', default: '0.8' },
    threads: { type: 'string' },
  },
});

let modelDir = values.model;
let temp: string | undefined;
if (!modelDir) {
  if (values.build !== 'tiny' && values.build !== 'small') throw new Error('give --model DIR or --build tiny|small');
  temp = mkdtempSync(join(tmpdir(), 'nserve-sdxl-bench-'));
  buildSdxlPipeline(join(temp, 'model'), { scale: values.build, fp16: values.fp16 });
  if (values.refiner) buildSdxlPipeline(join(temp, 'refiner'), { scale: values.build, fp16: values.fp16, refiner: true });
  modelDir = temp;
}

const roots = findPipelineRoots(modelDir);
const ep = values.ep === 'cuda' ? { name: 'cuda', deviceId: 0 } : (values.ep as string);
const loadStart = performance.now();
const pipeline = await SdxlPipeline.load(roots.base, values['no-refiner'] ? undefined : roots.refiner, {
  executionProviders: [ep],
  ...(values.threads ? { intraOpNumThreads: Number(values.threads) } : {}),
});
const loadMs = performance.now() - loadStart;

const size = Number(values.size ?? pipeline.defaultSize);
const request = (i: number): GenerationRequest => ({
  prompt: 'a photo of an astronaut riding a horse on the moon',
  prompt2: 'a photo of an astronaut riding a horse on the moon',
  negativePrompt: null,
  negativePrompt2: null,
  steps: Number(values.steps),
  guidanceScale: Number(values.guidance),
  height: size,
  width: size,
  seed: BigInt(i),
  numImages: 1,
  refiner: pipeline.refiner !== undefined,
  highNoiseFrac: Number(values['high-noise-frac']),
  scheduler: values.scheduler as SchedulerName,
  outputFormat: 'png',
  stream: false,
  streamBase64: false,
  aestheticScore: 6,
  negativeAestheticScore: 2.5,
});

const bySession = new Map<string, { calls: number; ms: number }>();
let sessionMs = 0;
pipeline.setTimer({
  record(component, ms) {
    sessionMs += ms;
    const e = bySession.get(component) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += ms;
    bySession.set(component, e);
  },
});

const group = Array.from({ length: Number(values.batch) }, (_, i) => request(i));
await pipeline.generate(group); // warm-up: first-run allocations and kernel selection
const runs: { wallMs: number; sessionMs: number; ratio: number }[] = [];
let totalWall = 0;
let totalSession = 0;
bySession.clear();
for (let r = 0; r < Number(values.runs); r++) {
  sessionMs = 0;
  const start = performance.now();
  await pipeline.generate(group);
  const wallMs = performance.now() - start;
  runs.push({ wallMs: round(wallMs), sessionMs: round(sessionMs), ratio: round(wallMs / sessionMs, 4) });
  totalWall += wallMs;
  totalSession += sessionMs;
}
function round(v: number, d = 2): number {
  return Number(v.toFixed(d));
}

const precision = [...pipeline.base.unet.inputs.values()].some((i) => i.type === 'float16') ? 'fp16' : 'fp32';
console.log(
  JSON.stringify(
    {
      model: temp ? `synthetic ${values.build}${values.fp16 ? ' fp16' : ''}` : modelDir,
      refiner: pipeline.refiner !== undefined,
      ep: values.ep,
      precision,
      steps: Number(values.steps),
      size,
      batch: group.length,
      guidance: Number(values.guidance),
      loadMs: round(loadMs),
      runs,
      meanWallMs: round(totalWall / runs.length),
      meanSessionMs: round(totalSession / runs.length),
      wallOverSessionRuns: round(totalWall / totalSession, 4),
      // On a shared CPU, descheduling between runs inflates single runs: the best and median show the pipeline's own cost.
      ratioMin: Math.min(...runs.map((r) => r.ratio)),
      ratioMedian: [...runs.map((r) => r.ratio)].sort((a, b) => a - b)[Math.floor(runs.length / 2)],
      goal: 1.03,
      sessions: Object.fromEntries([...bySession].map(([k, v]) => [k, { calls: v.calls / runs.length, msPerRun: round(v.ms / runs.length), msPerCall: round(v.ms / v.calls, 3) }])),
    },
    null,
    2,
  ),
);
await pipeline.release();
if (temp) rmSync(temp, { recursive: true, force: true });
