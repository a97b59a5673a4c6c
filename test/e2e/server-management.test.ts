/**
 * The management API of a real `bin/nserve.js` (model API enabled) with real ONNX workers:
 * describe, list, register, scale, set-default, unregister, as curl users see them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyOnnxModel } from '../../src/tools/examples/tiny-models.js';
import { buildMar } from '../helpers/build-mar.js';
import { postJson, waitUntil } from '../helpers/http.js';
import { startNserve, type NserveProcess } from '../helpers/nserve-process.js';

let work: string;
let server: NserveProcess;

const DESCRIBE_FIELDS = [
  'modelName',
  'modelVersion',
  'modelUrl',
  'runtime',
  'minWorkers',
  'maxWorkers',
  'batchSize',
  'maxBatchDelay',
  'responseTimeout',
  'startupTimeout',
  'maxRetryTimeoutInSec',
  'clientTimeoutInMills',
  'parallelType',
  'parallelLevel',
  'deviceType',
  'continuousBatching',
  'useJobTicket',
  'useVenv',
  'stateful',
  'sequenceMaxIdleMSec',
  'sequenceTimeoutMSec',
  'maxNumSequence',
  'maxSequenceJobQueueSize',
  'loadedAtStartup',
  'workers',
  'jobQueueStatus',
];
const WORKER_FIELDS = ['id', 'startTime', 'status', 'memoryUsage', 'pid', 'gpu', 'gpuUsage'];

interface Worker {
  id: string;
  status: string;
  pid: number;
}
interface Description {
  modelName: string;
  modelVersion: string;
  minWorkers: number;
  maxWorkers: number;
  workers: Worker[];
  [k: string]: unknown;
}

async function call(method: string, path: string): Promise<{ status: number; body: unknown; raw: string }> {
  const res = await fetch(`${server.managementUrl}${path}`, { method });
  const raw = await res.text();
  return { status: res.status, body: JSON.parse(raw), raw };
}

async function describeModel(path: string): Promise<Description[]> {
  const res = await call('GET', `/models/${path}`);
  expect(res.status).toBe(200);
  return res.body as Description[];
}

const predict = (path: string) => postJson(`${server.inferenceUrl}/predictions/${path}`, { input: [[1, 2, 3, 4]] });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nserve-e2e-management-'));
  const config = { minWorkers: 1, maxWorkers: 1, batchSize: 2, maxBatchDelay: 20, handler: { intraOpNumThreads: 1 } };
  const v1 = await buildMar(join(work, 'v1'), { name: 'tiny_onnx', builtin: 'onnx', serializedFile: buildTinyOnnxModel(join(work, 'v1')), config });
  // Version 2.0 of the same model name, with other weights, in a file of its own.
  const v2 = await buildMar(join(work, 'v2'), {
    name: 'tiny_onnx',
    version: '2.0',
    builtin: 'onnx',
    serializedFile: buildTinyOnnxModel(join(work, 'v2'), { seed: 7 }),
    config,
    fileName: 'tiny_onnx_v2.mar',
  });
  // A yaml-less archive: register's initial_workers decides its worker count.
  const plain = await buildMar(join(work, 'plain'), { name: 'plain', builtin: 'onnx', serializedFile: buildTinyOnnxModel(join(work, 'plain')) });
  server = await startNserve({ storeFiles: [v1, v2, plain], loadModels: ['tiny_onnx.mar'], properties: { enable_model_api: true, default_workers_per_model: 0 } });
});

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('management API on a real server', () => {
  it('describe: one-element array, TorchServe field order, a READY worker with the server pid', async () => {
    const res = await call('GET', '/models/tiny_onnx');
    expect(res.raw.endsWith(']\n')).toBe(true);
    const [d] = res.body as Description[];
    expect(res.body).toHaveLength(1);
    expect(Object.keys(d!)).toEqual(DESCRIBE_FIELDS);
    expect(d).toMatchObject({
      modelName: 'tiny_onnx',
      modelVersion: '1.0',
      modelUrl: 'tiny_onnx.mar',
      runtime: 'python',
      minWorkers: 1,
      maxWorkers: 1,
      batchSize: 2,
      maxBatchDelay: 20,
      deviceType: 'cpu',
      loadedAtStartup: true,
      jobQueueStatus: { remainingCapacity: 100, pendingRequests: 0 },
    });
    expect(d!.workers).toHaveLength(1);
    const w = d!.workers[0]!;
    expect(Object.keys(w)).toEqual(WORKER_FIELDS);
    expect(w).toMatchObject({ status: 'READY', pid: server.pid, gpu: false, gpuUsage: 'N/A' });
    expect(w.id).toMatch(/^\d+$/);
    expect((w as unknown as { startTime: string }).startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('register t2 from tiny_onnx.mar with one worker: 200, serves predictions; registering again: 409', async () => {
    const res = await call('POST', '/models?url=tiny_onnx.mar&model_name=t2&initial_workers=1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'Model "t2" Version: 1.0 registered with 1 initial workers' });
    const [d] = await describeModel('t2');
    expect(d).toMatchObject({ modelName: 't2', modelUrl: 'tiny_onnx.mar', loadedAtStartup: false });
    expect(d!.workers.map((w) => w.status)).toEqual(['READY']);
    const [viaT2, viaOriginal] = await Promise.all([predict('t2'), predict('tiny_onnx')]);
    expect(viaT2.status).toBe(200);
    expect(viaT2.body).toEqual(viaOriginal.body);

    const again = await call('POST', '/models?url=tiny_onnx.mar&model_name=t2&initial_workers=1');
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ code: 409, type: 'ConflictStatusException', message: 'Model version 1.0 is already registered for model t2' });
  });

  it('list: sorted by name, limit/next_page_token pages cover the whole list', async () => {
    for (const name of ['la', 'lb']) {
      const res = await call('POST', `/models?url=plain.mar&model_name=${name}&initial_workers=0`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: `Model "${name}" Version: 1.0 registered with 0 initial workers. Use scale workers API to add workers for the model.` });
    }
    const all = (await call('GET', '/models')).body as { models: { modelName: string; modelUrl: string }[]; nextPageToken?: string };
    const names = all.models.map((m) => m.modelName);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['la', 'lb', 'tiny_onnx']));
    expect(all.models.find((m) => m.modelName === 'la')).toEqual({ modelName: 'la', modelUrl: 'plain.mar' });
    expect(all.nextPageToken).toBeUndefined();

    const paged: string[] = [];
    let token: string | undefined = '0';
    while (token !== undefined) {
      const page = (await call('GET', `/models?limit=2&next_page_token=${token}`)).body as { models: { modelName: string }[]; nextPageToken?: string };
      expect(page.models.length).toBeLessThanOrEqual(2);
      paged.push(...page.models.map((m) => m.modelName));
      // TorchServe: a token is given whenever start + limit <= total.
      const start = Number(token);
      expect(page.nextPageToken).toBe(start + 2 <= names.length ? String(start + 2) : undefined);
      token = page.nextPageToken;
      if (page.models.length === 0) break;
    }
    expect(paged).toEqual(names);
    expect(((await call('GET', '/models?limit=0')).body as { models: unknown[] }).models).toEqual([]);
  });

  it('scale: synchronous 200 with the workers READY, asynchronous 202 then describe shows the new count', async () => {
    const up = await call('PUT', '/models/t2?min_worker=2&max_worker=2&synchronous=true');
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: 'Workers scaled to 2 for model: t2' });
    const [d] = await describeModel('t2');
    expect(d!.minWorkers).toBe(2);
    expect(d!.workers.map((w) => w.status)).toEqual(['READY', 'READY']);
    expect(new Set(d!.workers.map((w) => w.id)).size).toBe(2);

    const down = await call('PUT', '/models/t2?min_worker=1&max_worker=1');
    expect(down.status).toBe(202);
    expect(down.body).toEqual({ status: 'Processing worker updates...' });
    const workers = await waitUntil(async () => {
      const [now] = await describeModel('t2');
      return now!.workers.length === 1 ? now!.workers : undefined;
    }, 'scale down to one worker');
    expect(workers[0]!.status).toBe('READY');
    expect((await predict('t2')).status).toBe(200);

    const asyncUp = await call('PUT', '/models/la?min_worker=1');
    expect(asyncUp.status).toBe(202);
    const ready = await waitUntil(async () => {
      const [now] = await describeModel('la');
      return now!.workers.some((w) => w.status === 'READY') ? now! : undefined;
    }, 'la to get a READY worker');
    expect(ready.minWorkers).toBe(1);
    expect((await predict('la')).status).toBe(200);

    const bad = await call('PUT', '/models/t2?min_worker=3&max_worker=2');
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ code: 400, type: 'BadRequestException', message: 'max_worker cannot be less than min_worker.' });
  });

  it('set-default with two versions: predictions follow the default version', async () => {
    const reg = await call('POST', '/models?url=tiny_onnx_v2.mar&initial_workers=1');
    expect(reg.status).toBe(200);
    expect(reg.body).toEqual({ status: 'Model "tiny_onnx" Version: 2.0 registered with 1 initial workers' });
    const all = await describeModel('tiny_onnx/all');
    expect(all.map((d) => d.modelVersion).sort()).toEqual(['1.0', '2.0']);

    const v1 = await predict('tiny_onnx/1.0');
    const v2 = await predict('tiny_onnx/2.0');
    expect([v1.status, v2.status]).toEqual([200, 200]);
    expect(v1.body).not.toEqual(v2.body);
    expect((await predict('tiny_onnx')).body).toEqual(v1.body);

    const set = await call('PUT', '/models/tiny_onnx/2.0/set-default');
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ status: 'Default version successfully updated for model "tiny_onnx" to "2.0"' });
    expect((await describeModel('tiny_onnx'))[0]!.modelVersion).toBe('2.0');
    expect((await predict('tiny_onnx')).body).toEqual(v2.body);

    const missing = await call('PUT', '/models/tiny_onnx/9.9/set-default');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 404, type: 'ModelVersionNotFoundException', message: 'Model version 9.9 does not exist for model tiny_onnx' });
    const removeDefault = await call('DELETE', '/models/tiny_onnx/2.0');
    expect(removeDefault.status).toBe(403);
    expect(removeDefault.body).toEqual({ code: 403, type: 'InvalidModelVersionException', message: 'Cannot remove default version for model tiny_onnx' });

    const back = await call('PUT', '/models/tiny_onnx/1.0/set-default');
    expect(back.status).toBe(200);
    const removeV2 = await call('DELETE', '/models/tiny_onnx/2.0');
    expect(removeV2.status).toBe(200);
    expect((await predict('tiny_onnx/2.0')).status).toBe(404);
    expect((await predict('tiny_onnx')).body).toEqual(v1.body);
  });

  it('unregister: 200, then 404 on describe, predict and a second unregister', async () => {
    const res = await call('DELETE', '/models/t2');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'Model "t2" unregistered' });
    const notFound = { code: 404, type: 'ModelNotFoundException', message: 'Model not found: t2' };
    expect(await call('GET', '/models/t2')).toMatchObject({ status: 404, body: notFound });
    expect(await predict('t2')).toMatchObject({ status: 404, body: notFound });
    expect(await call('DELETE', '/models/t2')).toMatchObject({ status: 404, body: notFound });
    // The archive it came from still serves its own model.
    expect((await predict('tiny_onnx')).status).toBe(200);
  });
});
