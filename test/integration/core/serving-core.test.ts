import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ServeError } from '../../../src/errors/index.js';
import { bodyJson, jsonRequest, sleep, until } from './pool-harness.js';
import { makeCore, type CoreHarness } from './core-harness.js';

let h: CoreHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function failure(p: Promise<unknown> | (() => unknown)): Promise<ServeError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect(err).toBeInstanceOf(ServeError);
    return err as ServeError;
  }
  throw new Error('expected a failure');
}

const register = (url: string, over: Record<string, unknown> = {}) =>
  h!.core.management.register({ url, synchronous: true, ...over });

describe('serving core: register, predict, describe, list, scale, unregister', () => {
  it('registers with 0 workers and answers predictions with TorchServe 503 messages', async () => {
    h = await makeCore();
    await h.addModel('noop', { handler: 'controlled.js' });
    expect(await register('noop')).toEqual({
      httpStatus: 200,
      status: 'Model "noop" Version: 1.0 registered with 0 initial workers. Use scale workers API to add workers for the model.',
    });
    const e = await failure(h.core.inference.predict('noop', undefined, jsonRequest({})));
    expect(e.kind).toBe('UNAVAILABLE');
    expect(e.message).toMatch(/^Model "noop" has no worker to serve inference request\. Please use scale workers API to add workers\. If this is a sequence inference/);
    const v = await failure(h.core.inference.predict('noop', '1.0', jsonRequest({})));
    expect(v.message.startsWith('Model "noop" Version 1.0" has no worker')).toBe(true);
    expect(h.core.inference.health()).toEqual({ healthy: true });
  });

  it('registers synchronously with workers, predicts, and describes in TorchServe field order', async () => {
    h = await makeCore();
    await h.addModel('ctl', { handler: 'controlled.js', version: '2.5' });
    expect(await register('ctl', { initialWorkers: 1 })).toEqual({ httpStatus: 200, status: 'Model "ctl" Version: 2.5 registered with 1 initial workers' });
    const r = await h.core.inference.predict('ctl', undefined, jsonRequest({ x: 1 }));
    expect((await bodyJson(r)).body).toEqual({ x: 1 });
    const [d] = await h.core.management.describe('ctl', undefined, false);
    expect(Object.keys(d!)).toEqual([
      'modelName', 'modelVersion', 'modelUrl', 'runtime', 'minWorkers', 'maxWorkers', 'batchSize', 'maxBatchDelay',
      'responseTimeout', 'startupTimeout', 'maxRetryTimeoutInSec', 'clientTimeoutInMills', 'parallelType', 'parallelLevel',
      'deviceType', 'continuousBatching', 'useJobTicket', 'useVenv', 'stateful', 'sequenceMaxIdleMSec', 'sequenceTimeoutMSec',
      'maxNumSequence', 'maxSequenceJobQueueSize', 'loadedAtStartup', 'workers', 'jobQueueStatus',
    ]);
    expect(d).toMatchObject({
      modelName: 'ctl', modelVersion: '2.5', modelUrl: 'ctl', runtime: 'python', minWorkers: 1, maxWorkers: 1,
      batchSize: 1, maxBatchDelay: 100, responseTimeout: 120, startupTimeout: 120, maxRetryTimeoutInSec: 300,
      loadedAtStartup: false, jobQueueStatus: { remainingCapacity: 100, pendingRequests: 0 },
    });
    expect(d!.workers).toHaveLength(1);
    expect(Object.keys(d!.workers[0]!)).toEqual(['id', 'startTime', 'status', 'memoryUsage', 'pid', 'gpu', 'gpuUsage']);
    expect(d!.workers[0]).toMatchObject({ id: '9000', status: 'READY', pid: process.pid, gpu: false, gpuUsage: 'N/A' });
    const start = d!.workers[0]!.startTime;
    expect(start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const now = new Date();
    expect(start.slice(0, 13)).toBe(
      `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}T${String(now.getHours()).padStart(2, '0')}`,
    );
    const [custom] = await h.core.management.describe('ctl', undefined, true);
    expect(custom!.customizedMetadata).toMatchObject({ custom: true, model: 'ctl' });
    expect(h.core.inference.modelStatus('ctl')).toMatchObject({ name: 'ctl', version: '2.5', versions: ['2.5'], ready: true, workers: 1, handler: 'controlled.js' });
  });

  it('rejects bad urls and duplicates with TorchServe statuses and messages', async () => {
    h = await makeCore({ allowedUrls: [/https:\/\/models\.example\.com\/.*/] });
    await h.addModel('dup', { handler: 'controlled.js' });
    await register('dup');
    const dup = await failure(register('dup'));
    expect([dup.kind, dup.tsType, dup.message]).toEqual(['ALREADY_EXISTS', 'ConflictStatusException', 'Model version 1.0 is already registered for model dup']);
    const rel = await failure(register('../etc/x.mar'));
    expect([rel.kind, rel.tsType, rel.message]).toEqual(['NOT_FOUND', 'ModelNotFoundException', 'Relative path is not allowed in url: ../etc/x.mar']);
    expect((await failure(register('missing.mar'))).message).toBe('Model not found at: missing.mar');
    expect((await failure(register(''))).message).toBe('empty url');
    expect((await failure(register('http://evil.example.com/a.mar'))).message).toBe('Given URL http://evil.example.com/a.mar does not match any allowed URL(s)');
    const rt = await failure(register('dup', { runtime: 'java' }));
    expect([rt.kind, rt.message]).toEqual(['INVALID_ARGUMENT', 'Invalid RuntimeType value: java']);
  });

  it('a synchronous register whose worker cannot load answers 500 and unregisters the model', async () => {
    h = await makeCore();
    await h.addModel('broken', { handler: 'fail-init.js' });
    const e = await failure(register('broken', { initialWorkers: 1 }));
    expect([e.kind, e.tsType, e.message]).toEqual(['INTERNAL', 'InternalServerException', 'Failed to start workers for model broken version: 1.0']);
    expect((await failure(() => h!.core.inference.modelStatus('broken'))).message).toBe('Model not found: broken');
  });

  it('an asynchronous register answers 202 and the workers come up', async () => {
    h = await makeCore();
    await h.addModel('later', { handler: 'controlled.js' });
    expect(await register('later', { initialWorkers: 1, synchronous: false })).toEqual({ httpStatus: 202, status: 'Processing worker updates...' });
    // Requests are accepted while the worker starts: they wait in the queue.
    const r = await h.core.inference.predict('later', undefined, jsonRequest({}));
    expect(r.status).toBe(200);
  });

  it('scales with TorchServe statuses and messages', async () => {
    h = await makeCore();
    await h.addModel('sc', { handler: 'controlled.js' });
    await register('sc');
    const m = h.core.management;
    const bad = await failure(m.scale('sc', undefined, { minWorker: 2, maxWorker: 1, synchronous: true }));
    expect([bad.kind, bad.message]).toEqual(['INVALID_ARGUMENT', 'max_worker cannot be less than min_worker.']);
    expect((await failure(m.scale('nope', undefined, { minWorker: 1, maxWorker: 1, synchronous: true }))).message).toBe('Model not found: nope');
    expect((await failure(m.scale('sc', '9.9', { minWorker: 1, maxWorker: 1, synchronous: true }))).message).toBe('Model version: 9.9 does not exist for model: sc');
    expect((await failure(m.scale('sc', undefined, { minWorker: -1, maxWorker: 1, synchronous: true }))).kind).toBe('INTERNAL');
    expect(await m.scale('sc', undefined, { minWorker: 2, maxWorker: 3, synchronous: true })).toEqual({ httpStatus: 200, status: 'Workers scaled to 2 for model: sc' });
    const [d] = await m.describe('sc', undefined, false);
    expect([d!.minWorkers, d!.maxWorkers, d!.workers.map((w) => w.status)]).toEqual([2, 3, ['READY', 'READY']]);
    expect(await m.scale('sc', '1.0', { minWorker: 1, maxWorker: 1, synchronous: true })).toEqual({ httpStatus: 200, status: 'Workers scaled to 1 for model: sc, version: 1.0' });
    expect(await m.scale('sc', undefined, { minWorker: 0, maxWorker: 0, synchronous: false })).toEqual({ httpStatus: 202, status: 'Processing worker updates...' });
    await until(() => h!.core.inference.modelStatus('sc').workers === 0);
    expect((await failure(h.core.inference.predict('sc', undefined, jsonRequest({})))).kind).toBe('UNAVAILABLE');
  });

  it('lists default versions sorted with TorchServe pagination', async () => {
    h = await makeCore();
    for (const n of ['c', 'a', 'b']) {
      await h.addModel(n, { handler: 'controlled.js' });
      await register(n);
    }
    const m = h.core.management;
    expect(m.list(2, 0)).toEqual({ nextPageToken: '2', models: [{ modelName: 'a', modelUrl: 'a' }, { modelName: 'b', modelUrl: 'b' }] });
    expect(m.list(2, 2)).toEqual({ models: [{ modelName: 'c', modelUrl: 'c' }] });
    expect(m.list(1, 2)).toEqual({ nextPageToken: '3', models: [{ modelName: 'c', modelUrl: 'c' }] });
    expect(m.list(500, -4).models.map((x) => x.modelName)).toEqual(['a', 'b', 'c']);
    expect(m.list(0, 0)).toEqual({ nextPageToken: '0', models: [] });
    expect(h.core.inference.modelNames()).toEqual(['a', 'b', 'c']);
  });

  it('versions: set-default wording, describe all, unregister of a default version with siblings is 403', async () => {
    h = await makeCore();
    await h.addModel('v1', { name: 'mv', version: '1.0', handler: 'controlled.js' });
    await h.addModel('v2', { name: 'mv', version: '2.0', handler: 'controlled.js' });
    await register('v1');
    await register('v2');
    const m = h.core.management;
    expect((await m.describe('mv', 'all', false)).map((d) => d.modelVersion)).toEqual(['1.0', '2.0']);
    expect(m.setDefault('mv', '2.0')).toEqual({ httpStatus: 200, status: 'Default version successfully updated for model "mv" to "2.0"' });
    expect((await failure(() => m.setDefault('mv', '3.0'))).message).toBe('Model version 3.0 does not exist for model mv');
    expect((await failure(() => m.setDefault('zz', '1.0'))).message).toBe('Model not found: zz');
    const forbidden = await failure(m.unregister('mv', undefined));
    expect([forbidden.kind, forbidden.message]).toEqual(['FORBIDDEN', 'Cannot remove default version for model mv']);
    expect(await m.unregister('mv', '1.0')).toEqual({ httpStatus: 200, status: 'Model "mv" unregistered' });
    expect(await m.unregister('mv', undefined)).toEqual({ httpStatus: 200, status: 'Model "mv" unregistered' });
    expect((await failure(m.unregister('mv', undefined))).message).toBe('Model not found: mv');
  });

  it('unregister waits for in-flight work, then finalizes the handler', async () => {
    h = await makeCore();
    const marker = join(h.store, 'marker.log');
    await h.addModel('busy', { handler: 'controlled.js', config: `marker: ${JSON.stringify(marker)}\n` });
    await register('busy', { initialWorkers: 1 });
    const inflight = h.core.inference.predict('busy', undefined, jsonRequest({ sleep: 300 }));
    await sleep(50);
    const t0 = performance.now();
    const res = await h.core.management.unregister('busy', undefined);
    expect(res.httpStatus).toBe(200);
    expect(performance.now() - t0).toBeGreaterThan(150);
    expect((await inflight).status).toBe(200);
    expect((await readFile(marker, 'utf8')).split('\n').map((l) => l.split(' ')[0])).toEqual(['init', 'finalize', '']);
  });

  it('unregister times out with 408 when work outlasts unregister_model_timeout, and the model stays', async () => {
    h = await makeCore({ unregisterModelTimeout: 0.2 });
    await h.addModel('slow', { handler: 'controlled.js' });
    await register('slow', { initialWorkers: 1 });
    const inflight = h.core.inference.predict('slow', undefined, jsonRequest({ sleep: 800 }));
    await sleep(50);
    const e = await failure(h.core.management.unregister('slow', undefined));
    expect([e.kind, e.tsType, e.message]).toEqual(['REQUEST_TIMEOUT', 'RequestTimeoutException', 'Timed out while cleaning resources: slow']);
    expect((await inflight).status).toBe(200);
    expect((await h.core.inference.predict('slow', undefined, jsonRequest({}))).status).toBe(200);
  });

  it('/ping turns unhealthy when a model keeps fewer healthy workers than minWorkers', async () => {
    h = await makeCore();
    await h.addModel('sick', { handler: 'fail-init.js', config: 'maxRetryTimeoutInSec: 0\nminWorkers: 1\nmaxWorkers: 1\n' });
    expect((await register('sick', { synchronous: false })).httpStatus).toBe(202);
    await until(() => !h!.core.inference.health().healthy, 5000);
    const [d] = await h.core.management.describe('sick', undefined, false);
    expect(d!.loadError).toBe('cannot load weights');
    expect(d!.maxRetryTimeoutInSec).toBe(0);
    // Nobody will ever serve this model: requests are refused instead of waiting forever.
    expect((await failure(h.core.inference.predict('sick', undefined, jsonRequest({})))).kind).toBe('UNAVAILABLE');
  });

  it('records request, queue and completion metrics; "default" label when no version was named', async () => {
    const calls: string[] = [];
    const metrics = {
      forModel: (m: string, v: string) => ({
        request: () => calls.push(`request ${m} ${v}`),
        queued: (us: number) => calls.push(`queued ${v} ${us >= 0}`),
        completed: (us: number) => calls.push(`completed ${v} ${us > 0}`),
        workerThreadTime: () => {},
        handlerTime: (ms: number) => calls.push(`handler ${v} ${ms >= 0}`),
        workerLoaded: (w: string) => calls.push(`loaded ${w}`),
        custom: () => {},
      }),
      response: () => {},
    };
    h = await makeCore({ metrics });
    await h.addModel('met', { handler: 'controlled.js' });
    await register('met', { initialWorkers: 1 });
    await h.core.inference.predict('met', undefined, jsonRequest({}));
    await h.core.inference.predict('met', '1.0', jsonRequest({}));
    expect(calls).toEqual([
      'loaded W-9000-met_1.0',
      'request met default', 'queued default true', 'handler 1.0 true', 'completed default true',
      'request met 1.0', 'queued 1.0 true', 'handler 1.0 true', 'completed 1.0 true',
    ]);
  });

  it('loads every model of the store at start-up and marks it loadedAtStartup', async () => {
    h = await makeCore({ startupWorkers: 1 });
    await h.addModel('s1', { handler: 'controlled.js' });
    await h.addModel('s2', { handler: 'fail-init.js' });
    await h.core.loadStartupModels('all');
    expect(h.core.inference.modelNames()).toEqual(['s1']);
    const [d] = await h.core.management.describe('s1', undefined, false);
    expect([d!.loadedAtStartup, d!.minWorkers, d!.workers.length]).toEqual([true, 1, 1]);
    expect(h.logs.some((l) => l.startsWith('error failed to load model s2'))).toBe(true);
  });

  it('drops a request still queued after clientTimeoutInMills (no answer, as TorchServe)', async () => {
    h = await makeCore();
    await h.addModel('ct', { handler: 'controlled.js', config: 'clientTimeoutInMills: 100\nminWorkers: 1\nmaxWorkers: 1\n' });
    await register('ct');
    const busy = h.core.inference.predict('ct', undefined, jsonRequest({ sleep: 300 }));
    await sleep(30);
    const late = await failure(h.core.inference.predict('ct', undefined, jsonRequest({})));
    expect(late.kind).toBe('CANCELLED');
    expect((await busy).status).toBe(200);
  });

  it('every request settles when the core closes', async () => {
    h = await makeCore();
    await h.addModel('bye', { handler: 'controlled.js' });
    await register('bye', { initialWorkers: 1 });
    const jobs = [0, 1, 2].map(() => h!.core.inference.predict('bye', undefined, jsonRequest({ sleep: 100 })));
    await h.core.close();
    const settled = await Promise.allSettled(jobs);
    expect(settled).toHaveLength(3);
  });
});
