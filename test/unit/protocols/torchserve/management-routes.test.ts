import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../../src/protocols/http/http-app.js';
import { torchServeManagementRoutes } from '../../../../src/protocols/torchserve/management-routes.js';
import { FakeManagement } from './fakes.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function setup(enableModelApi: boolean): Promise<{ app: FastifyInstance; management: FakeManagement }> {
  const management = new FakeManagement();
  app = await createHttpApp({ groups: ['management'], plugins: { management: [torchServeManagementRoutes({ management, enableModelApi })] }, maxRequestSize: 4096 });
  return { app, management };
}

const body = (res: { body: string }) => JSON.parse(res.body) as Record<string, unknown>;

describe('TorchServe management routes', () => {
  it('register/unregister answer 405 unless the model API is enabled; reads always work', async () => {
    const { app, management } = await setup(false);
    for (const [method, url] of [['POST', '/models?url=noop.mar'], ['DELETE', '/models/noop'], ['DELETE', '/models/noop/1.0']] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode).toBe(405);
      expect(body(res)).toEqual({ code: 405, type: 'MethodNotAllowedException', message: 'Requested method is not allowed, please refer to API document.' });
    }
    expect(management.calls.filter((c) => c.method === 'register' || c.method === 'unregister')).toEqual([]);
    expect((await app.inject({ method: 'GET', url: '/models' })).statusCode).toBe(200);
  });

  it('register from the query string: synchronous defaults to true, statuses 200/202 and bodies', async () => {
    const { app, management } = await setup(true);
    const zero = await app.inject({ method: 'POST', url: '/models?url=squeezenet1_1.mar&model_name=squeezenet1_1' });
    expect(zero.statusCode).toBe(200);
    expect(zero.body).toBe('{\n  "status": "Model \\"squeezenet1_1\\" Version: 1.0 registered with 0 initial workers. Use scale workers API to add workers for the model."\n}\n');
    const sync = await app.inject({ method: 'POST', url: '/models?url=r.mar&model_name=r18&initial_workers=1&batch_size=dd' });
    expect(sync.statusCode).toBe(200);
    expect(body(sync).status).toBe('Model "r18" Version: 1.0 registered with 1 initial workers');
    const async_ = await app.inject({ method: 'POST', url: '/models?url=a.mar&model_name=a&initial_workers=1&synchronous=false' });
    expect(async_.statusCode).toBe(202);
    expect(body(async_)).toEqual({ status: 'Processing worker updates...' });
    expect(management.calls.filter((c) => c.method === 'register').map((c) => c.args[0])).toEqual([
      { url: 'squeezenet1_1.mar', modelName: 'squeezenet1_1', synchronous: true },
      { url: 'r.mar', modelName: 'r18', initialWorkers: 1, synchronous: true },
      { url: 'a.mar', modelName: 'a', initialWorkers: 1, synchronous: false },
    ]);
    const missing = await app.inject({ method: 'POST', url: '/models' });
    expect(missing.statusCode).toBe(400);
    expect(body(missing)).toEqual({ code: 400, type: 'BadRequestException', message: 'Parameter url is required.' });
    const dup = await app.inject({ method: 'POST', url: '/models?url=a.mar&model_name=a' });
    expect(dup.statusCode).toBe(409);
    expect(body(dup).type).toBe('ConflictStatusException');
  });

  it('register from a JSON body ignores the query string', async () => {
    const { app, management } = await setup(true);
    const res = await app.inject({
      method: 'POST',
      url: '/models?url=wrong.mar',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ url: 'json.mar', model_name: 'j', initial_workers: '2', max_batch_delay: 50 }),
    });
    expect(res.statusCode).toBe(200);
    expect(management.calls[0]!.args[0]).toEqual({ url: 'json.mar', modelName: 'j', initialWorkers: 2, maxBatchDelay: 50, synchronous: true });
  });

  it('scale: coerced params, 202 async by default, 200 sync, version from path or model_version', async () => {
    const { app, management } = await setup(false);
    management.models.get('noop')!.set('2.0', 0);
    const asyncRes = await app.inject({ method: 'PUT', url: '/models/noop?min_worker=nan&synchronous=Nan' });
    expect(asyncRes.statusCode).toBe(202);
    const syncRes = await app.inject({ method: 'PUT', url: '/models/noop/2.0?min_worker=2&max_worker=3&synchronous=true' });
    expect(syncRes.statusCode).toBe(200);
    expect(body(syncRes)).toEqual({ status: 'Workers scaled to 2 for model: noop, version: 2.0' });
    await app.inject({ method: 'PUT', url: '/models/noop?model_version=2.0' });
    expect(management.calls.map((c) => c.args)).toEqual([
      ['noop', undefined, { minWorker: 1, maxWorker: 1, synchronous: false }],
      ['noop', '2.0', { minWorker: 2, maxWorker: 3, synchronous: true }],
      ['noop', '2.0', { minWorker: 1, maxWorker: 1, synchronous: false }],
    ]);
    const unknown = await app.inject({ method: 'PUT', url: '/models/resnet181?min_worker=1' });
    expect(unknown.statusCode).toBe(404);
    expect(body(unknown).message).toBe('Model not found: resnet181');
    const badVersion = await app.inject({ method: 'PUT', url: '/models/noop/0.0?min_worker=1&synchronous=true' });
    expect(badVersion.statusCode).toBe(404);
    expect(body(badVersion).message).toBe('Model version: 0.0 does not exist for model: noop');
  });

  it('list: limit and next_page_token coercion, nextPageToken first and only when more may follow', async () => {
    const { app, management } = await setup(false);
    management.models.set('a', new Map([['1.0', 0]]));
    management.models.set('b', new Map([['1.0', 0]]));
    const page = await app.inject({ method: 'GET', url: '/models?limit=1&next_page_token=1' });
    expect(page.body).toBe('{\n  "nextPageToken": "2",\n  "models": [\n    {\n      "modelName": "b",\n      "modelUrl": "b.mar"\n    }\n  ]\n}\n');
    const all = await app.inject({ method: 'GET', url: '/models?limit=-1&next_page_token=-1' });
    expect((body(all).models as { modelName: string }[]).map((m) => m.modelName)).toEqual(['a', 'b', 'noop']);
    expect(management.calls.map((c) => c.args)).toEqual([[1, 1], [100, 0]]);
    expect(Object.keys(body(all))).toEqual(['models']);
    const outOfRange = await app.inject({ method: 'GET', url: '/models?next_page_token=12' });
    expect(body(outOfRange)).toEqual({ models: [] });
  });

  it('describe (default, version, all, customized), set-default, unregister, readiness', async () => {
    const { app, management } = await setup(true);
    management.models.get('noop')!.set('2.0', 0);
    const d = await app.inject({ method: 'GET', url: '/models/noop' });
    expect(d.statusCode).toBe(200);
    const described = JSON.parse(d.body) as Record<string, unknown>[];
    expect(described).toHaveLength(1);
    expect(Object.keys(described[0]!).slice(0, 4)).toEqual(['modelName', 'modelVersion', 'modelUrl', 'runtime']);
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/models/noop/all' })).body)).toHaveLength(2);
    const custom = await app.inject({ method: 'GET', url: '/models/noop?customized=TRUE' });
    expect(JSON.parse(custom.body)[0].customizedMetadata).toEqual({ data1: '1' });
    const noWorker = await app.inject({ method: 'GET', url: '/models/noop/2.0?customized=true' });
    expect(noWorker.statusCode).toBe(503);
    const setDefault = await app.inject({ method: 'PUT', url: '/models/noop/2.0/set-default' });
    expect(body(setDefault)).toEqual({ status: 'Default version successfully updated for model "noop" to "2.0"' });
    const badDefault = await app.inject({ method: 'PUT', url: '/models/noop/3.3.3/set-default' });
    expect(badDefault.statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/models/noop/2.0/set-default' })).statusCode).toBe(405);
    const forbidden = await app.inject({ method: 'DELETE', url: '/models/noop/1.0' });
    expect(forbidden.statusCode).toBe(403);
    const ok = await app.inject({ method: 'DELETE', url: '/models/noop/2.0?synchronous=nan&timeout=true' });
    expect(body(ok)).toEqual({ status: 'Model "noop" unregistered' });
    expect(body(await app.inject({ method: 'GET', url: '/v1/models/noop' }))).toEqual({ name: 'noop', ready: true });
    expect((await app.inject({ method: 'POST', url: '/v1/models/noop' })).statusCode).toBe(405);
    expect((await app.inject({ method: 'GET', url: '/v1/models/ghost' })).statusCode).toBe(404);
  });

  it('other methods are 405; per-model OPTIONS needs the model', async () => {
    const { app } = await setup(true);
    expect((await app.inject({ method: 'PUT', url: '/models' })).statusCode).toBe(405);
    expect((await app.inject({ method: 'POST', url: '/models/noop' })).statusCode).toBe(405);
    const doc = await app.inject({ method: 'OPTIONS', url: '/models/noop' });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(JSON.parse(doc.body).paths)).toEqual(['/models/noop']);
    expect((await app.inject({ method: 'OPTIONS', url: '/models/InvalidModel' })).statusCode).toBe(404);
  });
});
