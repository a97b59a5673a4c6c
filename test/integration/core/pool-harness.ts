/**
 * Builds a real WorkerPool (real worker threads running dist/workers/worker-entry.js) over the
 * plain-JS handlers in test/fixtures/handlers. `npm run build` must have run.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { BatchQueue } from '../../../src/batching/batch-queue.js';
import { Job } from '../../../src/batching/job.js';
import type { ModelSettings } from '../../../src/handlers/handler.js';
import type { InferenceRequest, InferenceResult } from '../../../src/inference/types.js';
import { workerScriptUrl } from '../../../src/util/worker-script.js';
import { WorkerPool } from '../../../src/workers/worker-pool.js';
import { WorkerThread, type WorkerThreadOptions } from '../../../src/workers/worker-thread.js';

export const handlerFixtures = resolve(import.meta.dirname, '../../fixtures/handlers');

export function testSettings(over: Partial<ModelSettings> = {}): ModelSettings {
  return {
    minWorkers: 1,
    maxWorkers: 1,
    batchSize: 1,
    maxBatchDelay: 100,
    responseTimeout: 120,
    startupTimeout: 120,
    maxRetryTimeoutInSec: 300,
    jobQueueSize: 100,
    modelConfig: {},
    ...over,
  };
}

/** One real WorkerThread running test/fixtures/handlers/controlled.js (not loaded yet: call `load()`). */
export function startControlledThread(over: Partial<WorkerThreadOptions> = {}): WorkerThread {
  const handler = 'controlled.js';
  return new WorkerThread({
    scriptUrl: workerScriptUrl(new URL('../../../src/workers/worker-pool.ts', import.meta.url).href, 'worker-entry'),
    payload: {
      modelName: 'm',
      modelVersion: '1.0',
      modelDir: handlerFixtures,
      manifest: { runtime: 'python', model: { modelName: 'm', modelVersion: '1.0', handler } },
      handler,
      settings: testSettings(),
      deviceId: 0,
    },
    startupTimeoutMs: 10_000,
    responseTimeoutMs: 10_000,
    maxResponseSize: 6_553_500,
    ...over,
  });
}

export function jsonRequest(body: unknown): InferenceRequest {
  return {
    requestId: randomUUID(),
    headers: {},
    parameters: [{ name: 'body', contentType: 'application/json', value: new TextEncoder().encode(JSON.stringify(body)) }],
  };
}

export async function bodyText(result: InferenceResult): Promise<string> {
  if (result.body) return new TextDecoder().decode(result.body);
  let out = '';
  for await (const chunk of result.stream!) out += new TextDecoder().decode(chunk);
  return out;
}

export async function bodyJson<T = Record<string, unknown>>(result: InferenceResult): Promise<T> {
  return JSON.parse(await bodyText(result)) as T;
}

export interface Harness {
  pool: WorkerPool;
  queue: BatchQueue;
  settings: ModelSettings;
  logs: string[];
  submit(body: unknown, options?: { signal?: AbortSignal; explain?: boolean }): Job;
  close(): Promise<void>;
}

let ports = 9000;

export function makePool(handler: string, over: Partial<ModelSettings> = {}, extra: { backoffUnitMs?: number; maxResponseSize?: number } = {}): Harness {
  const settings = testSettings(over);
  const queue = new BatchQueue({ modelName: 'm', capacity: settings.jobQueueSize });
  const logs: string[] = [];
  const line = (level: string) => (m: string) => logs.push(`${level} ${m}`);
  const pool = new WorkerPool({
    modelName: 'm',
    modelVersion: '1.0',
    load: {
      modelName: 'm',
      modelVersion: '1.0',
      modelDir: handlerFixtures,
      manifest: { runtime: 'python', model: { modelName: 'm', modelVersion: '1.0', handler } },
      handler,
    },
    settings,
    queue,
    maxResponseSize: extra.maxResponseSize ?? 6_553_500,
    nextWorkerId: () => ports++,
    log: { info: line('info'), warn: line('warn'), error: line('error') },
    backoffUnitMs: extra.backoffUnitMs ?? 20,
    finalizeTimeoutMs: 2000,
  });
  return {
    pool,
    queue,
    settings,
    logs,
    submit(body, options = {}) {
      const job = new Job({ request: jsonRequest(body), explain: options.explain === true, ...(options.signal ? { signal: options.signal } : {}) });
      queue.enqueue(job);
      return job;
    },
    close: () => pool.close(),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll until `pred` holds (or fail after `timeoutMs`). */
export async function until(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await sleep(10);
  }
}
