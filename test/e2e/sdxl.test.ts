/**
 * The SDXL handler end to end through a real worker pool (real worker thread running
 * dist/workers/worker-entry.js, real onnxruntime sessions) on the tiny synthetic pipeline
 * (src/tools/sdxl, optimum layout: model/ = base, refiner/ = refiner). Needs `npm run build`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchQueue } from '../../src/batching/batch-queue.js';
import { Job } from '../../src/batching/job.js';
import type { ModelSettings } from '../../src/handlers/handler.js';
import type { InferenceResult } from '../../src/inference/types.js';
import { buildSdxlPipeline } from '../../src/tools/sdxl/build-pipeline.js';
import { WorkerPool } from '../../src/workers/worker-pool.js';
import { testSettings } from '../integration/core/pool-harness.js';

interface Served {
  pool: WorkerPool;
  queue: BatchQueue;
  logs: string[];
  submit(body: unknown, headers?: Record<string, string>): Job;
}

let ports = 19_400;
const dirs: string[] = [];
const pools: WorkerPool[] = [];

function buildModel(opts: { refiner: boolean; fp16?: boolean }): string {
  const dir = mkdtempSync(join(tmpdir(), 'nserve-sdxl-e2e-'));
  dirs.push(dir);
  buildSdxlPipeline(join(dir, 'model'), { scale: 'tiny', seed: 0, fp16: opts.fp16 ?? false });
  if (opts.refiner) buildSdxlPipeline(join(dir, 'refiner'), { scale: 'tiny', seed: 1, refiner: true });
  return dir;
}

async function serve(modelDir: string, over: Partial<ModelSettings> = {}): Promise<Served> {
  const settings = testSettings({ modelConfig: { handler: { executionProviders: ['cpu'], max_pixels: 128 * 128 } }, ...over });
  const queue = new BatchQueue({ modelName: 'sdxl', capacity: 100 });
  const logs: string[] = [];
  const line = (level: string) => (m: string) => logs.push(`${level} ${m}`);
  const pool = new WorkerPool({
    modelName: 'sdxl',
    modelVersion: '1.0',
    load: {
      modelName: 'sdxl',
      modelVersion: '1.0',
      modelDir,
      manifest: { runtime: 'python', model: { modelName: 'sdxl', modelVersion: '1.0', handler: 'stable_diffusion_xl' } },
      handler: 'stable_diffusion_xl',
    },
    settings,
    queue,
    maxResponseSize: 6_553_500,
    nextWorkerId: () => ports++,
    log: { info: line('info'), warn: line('warn'), error: line('error') },
    backoffUnitMs: 20,
    finalizeTimeoutMs: 5000,
  });
  pools.push(pool);
  expect(await pool.scale(1, true)).toMatchObject({ workers: 1, failed: 0 });
  return {
    pool,
    queue,
    logs,
    submit(body, headers = {}) {
      const text = typeof body === 'string';
      const value = new TextEncoder().encode(text ? body : JSON.stringify(body));
      const job = new Job({
        request: { requestId: randomUUID(), headers, parameters: [{ name: 'body', contentType: text ? 'text/plain' : 'application/json', value }] },
      });
      queue.enqueue(job);
      return job;
    },
  };
}

async function bytes(r: InferenceResult): Promise<Buffer> {
  if (r.body) return Buffer.from(r.body);
  const parts: Uint8Array[] = [];
  for await (const c of r.stream ?? []) parts.push(c);
  return Buffer.concat(parts);
}

async function png(s: Served, body: unknown): Promise<Buffer> {
  const r = await s.submit(body).result;
  expect(r.status).toBe(200);
  expect(r.contentType).toBe('image/png');
  return bytes(r);
}

async function rawPixels(image: Buffer): Promise<Buffer> {
  return sharp(image).raw().toBuffer();
}

const BASE = { prompt: 'a photo of an astronaut riding a horse', num_inference_steps: 6, seed: 7 };

let full: Served;
let baseOnly: Served;
let half: Served;

beforeAll(async () => {
  full = await serve(buildModel({ refiner: true }), { batchSize: 2, maxBatchDelay: 150 });
  baseOnly = await serve(buildModel({ refiner: false }));
  half = await serve(buildModel({ refiner: false, fp16: true }));
}, 180_000);

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('stable_diffusion_xl handler (tiny synthetic SDXL, CPU)', () => {
  it('a text prompt returns a PNG of the default size (unet sample_size × 8)', async () => {
    const image = await png(baseOnly, 'a cat');
    const meta = await sharp(image).metadata();
    expect(meta).toMatchObject({ format: 'png', width: 64, height: 64, channels: 3 });
    const px = await rawPixels(image);
    expect(new Set(px).size).toBeGreaterThan(16); // an image, not a constant fill
  });

  it('honours height/width and output_format', async () => {
    const image = await png(baseOnly, { ...BASE, height: 64, width: 128 });
    expect(await sharp(image).metadata()).toMatchObject({ width: 128, height: 64 });
    const r = await baseOnly.submit({ ...BASE, output_format: 'jpeg' }).result;
    expect(r.contentType).toBe('image/jpeg');
    expect((await sharp(await bytes(r)).metadata()).format).toBe('jpeg');
  });

  it('the same seed gives a byte-identical PNG; another seed a different one', async () => {
    const a = await png(baseOnly, BASE);
    const b = await png(baseOnly, BASE);
    const c = await png(baseOnly, { ...BASE, seed: 8 });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('a negative prompt changes the output', async () => {
    const a = await png(baseOnly, BASE);
    const b = await png(baseOnly, { ...BASE, negative_prompt: 'blurry, low quality' });
    expect(a.equals(b)).toBe(false);
  });

  it('schedulers: euler_ancestral and ddim run and differ from euler', async () => {
    const euler = await png(baseOnly, BASE);
    const ancestral = await png(baseOnly, { ...BASE, scheduler: 'euler_ancestral' });
    const ddim = await png(baseOnly, { ...BASE, scheduler: 'ddim' });
    expect(euler.equals(ancestral)).toBe(false);
    expect(euler.equals(ddim)).toBe(false);
    expect(ancestral.equals(await png(baseOnly, { ...BASE, scheduler: 'euler_ancestral' }))).toBe(true);
  });

  it('refiner on and off give different images; the refiner runs the last steps', async () => {
    const before = full.logs.length;
    const on = await png(full, { ...BASE, num_inference_steps: 10 });
    const stepLogs = full.logs.slice(before).filter((l) => l.includes('SDXL ') && l.includes(' step '));
    expect(stepLogs.filter((l) => l.includes('SDXL base step'))).toHaveLength(8);
    expect(stepLogs.filter((l) => l.includes('SDXL refiner step'))).toHaveLength(2);
    const off = await png(full, { ...BASE, num_inference_steps: 10, refiner: false });
    expect(on.equals(off)).toBe(false);
  });

  it('a batch of two runs as one UNet batch and equals two single runs', async () => {
    const one = { ...BASE, prompt: 'a red car', seed: 11 };
    const two = { ...BASE, prompt: 'a castle', seed: 12, negative_prompt: 'fog' };
    const singleOne = await png(full, one);
    const singleTwo = await png(full, two);
    const before = full.logs.length;
    const [ra, rb] = await Promise.all([full.submit(one).result, full.submit(two).result]);
    expect(full.logs.slice(before).some((l) => l.includes('(2 request(s)'))).toBe(true);
    const [pa, pb] = await Promise.all([bytes(ra), bytes(rb)]);
    // Same latents, same conditioning: pixels within one 8-bit level of the single runs.
    for (const [batched, single] of [[pa, singleOne], [pb, singleTwo]] as const) {
      const x = await rawPixels(batched);
      const y = await rawPixels(single);
      let worst = 0;
      for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
      expect(worst).toBeLessThanOrEqual(1);
    }
  });

  it('num_images_per_prompt > 1 answers JSON {"images": [base64 PNG, …]}', async () => {
    const r = await baseOnly.submit({ ...BASE, num_images_per_prompt: 2 }).result;
    expect(r.contentType).toBe('application/json');
    const { images } = JSON.parse((await bytes(r)).toString('utf8')) as { images: string[] };
    expect(images).toHaveLength(2);
    const [a, b] = images.map((s) => Buffer.from(s, 'base64'));
    expect((await sharp(a).metadata()).format).toBe('png');
    expect(a?.equals(b as Buffer)).toBe(false);
  });

  it('streams step events as JSON lines, then the PNG', async () => {
    const r = await baseOnly.submit({ ...BASE, num_inference_steps: 4, stream: true }).result;
    expect(r.stream).toBeDefined();
    const all = await bytes(r);
    const text = all.toString('latin1');
    const lines = text.split('\n').slice(0, 4).map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual([1, 2, 3, 4].map((step) => ({ step, total: 4, stage: 'base' })));
    const image = all.subarray(text.indexOf('\x89PNG'));
    expect(image.equals(await png(baseOnly, { ...BASE, num_inference_steps: 4 }))).toBe(true);
  });

  it('an fp16 export (fp16 inputs and outputs) gives nearly the fp32 image', async () => {
    const a = await rawPixels(await png(baseOnly, BASE));
    const b = await rawPixels(await png(half, BASE));
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
    expect(sum / a.length).toBeLessThan(2);
    expect(a.equals(b)).toBe(false); // it really ran in half precision
  });

  it.each([
    [{ ...BASE, num_inference_steps: 0 }, 'num_inference_steps'],
    [{ ...BASE, height: 60 }, 'height'],
    [{ ...BASE, height: 256, width: 256 }, 'height x width'],
    [{ ...BASE, scheduler: 'heun' }, 'scheduler'],
    [{ ...BASE, prompt: ['list'] }, 'prompt'],
    [{ ...BASE, refiner: true }, 'refiner'],
  ])('bad parameters are a 400 InvalidInputError naming the field (%o)', async (body, field) => {
    const err = await baseOnly.submit(body).result.catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'INVALID_ARGUMENT', code: 'NSERVE_INVALID_INPUT' });
    expect((err as Error).message).toContain(field);
  });
});
