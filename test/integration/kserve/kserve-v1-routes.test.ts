import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/protocols/http/http-app.js';
import { kserveV1Routes } from '../../../src/protocols/kserve-v1/routes.js';
import { bodyOf, fakeInference, jsonResult, type FakeInference } from './fake-inference.js';

function models(): FakeInference {
  return fakeInference([
    // mnist-like: one prediction per request (TorchServe's `{"predictions":[2]}` e2e answer).
    { name: 'mnist', handler: (req) => jsonResult((bodyOf(req) as { data: number }).data % 10) },
    { name: 'loading', ready: false, handler: () => jsonResult(0) },
    { name: 'raw', handler: (req) => ({ status: 201, headers: { 'x-h': '1' }, contentType: 'text/plain', body: Buffer.from(`got ${req.parameters[0]!.contentType} ${Buffer.from(req.parameters[0]!.value).toString()}`) }) },
    { name: 'bytes', handler: (req) => ({ status: 200, headers: {}, contentType: 'image/png', body: Buffer.concat([Buffer.from(req.parameters[0]!.value), Buffer.from([0xff])]) }) },
  ]);
}

let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; });

async function serve(inference: FakeInference): Promise<FastifyInstance> {
  app = await createHttpApp({ groups: ['inference'], plugins: { inference: [kserveV1Routes({ inference })] }, maxRequestSize: 1_000_000 });
  return app;
}

const post = (a: FastifyInstance, url: string, payload: string, contentType = 'application/json') =>
  a.inject({ method: 'POST', url, payload, headers: { 'content-type': contentType } });

describe('KServe v1', () => {
  it('lists models and answers readiness like KServe (200 / 503 / 404 with {"error"})', async () => {
    const a = await serve(models());
    expect((await a.inject('/v1/models')).json()).toEqual({ models: ['bytes', 'loading', 'mnist', 'raw'] });
    expect((await a.inject('/v1/models/mnist')).body).toBe('{"name":"mnist","ready":true}');
    const loading = await a.inject('/v1/models/loading');
    expect([loading.statusCode, loading.json()]).toEqual([503, { error: 'Model with name loading is not ready.' }]);
    const unknown = await a.inject('/v1/models/nope');
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: 'Model with name nope does not exist.' }]);
  });

  it('predicts one answer per instance, all instances in one batch', async () => {
    const inference = models();
    const a = await serve(inference);
    const res = await post(a, '/v1/models/mnist:predict', JSON.stringify({ instances: [{ data: 12 }, { data: 7 }, { data: 30 }, { data: 99 }] }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toBe('{"predictions":[2,7,0,9]}');
    expect(inference.batches).toEqual([4]);
    expect(inference.calls.map((c) => c.request.parameters[0]!.contentType)).toEqual(Array(4).fill('application/json'));
  });

  it('accepts "inputs" in place of "instances" and answers :explain with explanations', async () => {
    const inference = models();
    const a = await serve(inference);
    expect((await post(a, '/v1/models/mnist:predict', '{"inputs":[{"data":3}]}')).json()).toEqual({ predictions: [3] });
    const res = await post(a, '/v1/models/mnist:explain', '{"instances":[{"data":5}]}');
    expect(res.json()).toEqual({ explanations: [5] });
    expect(inference.calls[1]!.options.explain).toBe(true);
    expect(inference.calls[1]!.request.headers['explain']).toBe('True');
  });

  it('sends {"b64"} instances as raw bytes and returns binary results as {"b64"}', async () => {
    const inference = models();
    const a = await serve(inference);
    const res = await post(a, '/v1/models/bytes:predict', JSON.stringify({ instances: [{ b64: Buffer.from([1, 2]).toString('base64') }] }));
    expect(res.json()).toEqual({ predictions: [{ b64: Buffer.from([1, 2, 0xff]).toString('base64') }] });
    expect(inference.calls[0]!.request.parameters[0]!.contentType).toBe('application/octet-stream');
  });

  it('passes non-JSON bodies through unchanged and returns the handler reply as is', async () => {
    const a = await serve(models());
    const res = await post(a, '/v1/models/raw:predict', 'hello', 'text/plain; charset=utf-8');
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-h']).toBe('1');
    expect(res.body).toBe('got text/plain hello');
  });

  it('rejects malformed bodies with 400 {"error"}', async () => {
    const a = await serve(models());
    const notList = await post(a, '/v1/models/mnist:predict', '{"instances":{"data":1}}');
    expect([notList.statusCode, notList.json()]).toEqual([400, { error: 'Expected "instances" to be a list' }]);
    const notJson = await post(a, '/v1/models/mnist:predict', '{nope');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error).toMatch(/^Unrecognized request format/);
  });

  it('answers unknown models 404 and unknown verbs with the listener 404', async () => {
    const a = await serve(models());
    const unknown = await post(a, '/v1/models/nope:predict', '{"instances":[1]}');
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: 'Model with name nope does not exist.' }]);
    expect((await post(a, '/v1/models/mnist:train', '{"instances":[1]}')).statusCode).toBe(404);
  });
});
