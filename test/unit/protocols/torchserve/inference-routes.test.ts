import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutOfResourcesError, PredictionError, QueueFullError, WorkerDiedError } from '../../../../src/errors/index.js';
import { createHttpApp } from '../../../../src/protocols/http/http-app.js';
import { torchServeInferenceRoutes } from '../../../../src/protocols/torchserve/inference-routes.js';
import { openApiDocument } from '../../../../src/protocols/torchserve/openapi.js';
import { FakeInference } from './fakes.js';

let app: FastifyInstance;
let inference: FakeInference;
const text = (u: Uint8Array) => Buffer.from(u).toString('utf8');

beforeEach(async () => {
  inference = new FakeInference();
  inference.models.set('noopversioned', ['1.11', '1.2.1']);
  app = await createHttpApp({
    groups: ['inference'],
    plugins: { inference: [torchServeInferenceRoutes({ inference })] },
    maxRequestSize: 1024,
    apiDescription: (groups) => openApiDocument(groups, '0.1.0'),
  });
});
afterEach(() => app.close());

describe('TorchServe inference routes', () => {
  it('/ping: 200 Healthy / 500 Unhealthy, any method', async () => {
    const ok = await app.inject({ method: 'POST', url: '/ping' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('{\n  "status": "Healthy"\n}\n');
    expect(ok.headers['content-type']).toBe('application/json');
    inference.healthy = false;
    const bad = await app.inject({ method: 'GET', url: '/ping' });
    expect(bad.statusCode).toBe(500);
    expect(JSON.parse(bad.body)).toEqual({ status: 'Unhealthy' });
  });

  it('/predictions/{m}: handler bytes back, no Content-Type, request id = x-request-id, injected headers', async () => {
    const res = await app.inject({ method: 'POST', url: '/predictions/noop', payload: '{"data": "test"}', headers: { 'content-type': 'application/json', 'x-request-id': 'mine' } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('OK');
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['content-length']).toBe('2');
    const call = inference.calls[0]!;
    expect(call).toMatchObject({ model: 'noop', version: undefined, options: { explain: false } });
    expect(call.request.requestId).toBe(res.headers['x-request-id']);
    expect(res.headers['x-request-id']).not.toBe('mine');
    expect(call.request.headers).toMatchObject({ url_path: '', explain: 'False', 'content-type': 'application/json' });
    expect(call.request.parameters.map((p) => [p.name, p.contentType, text(p.value)])).toEqual([['body', 'application/json', '{"data": "test"}']]);
    expect(call.options?.onCancel).toBeTypeOf('function');
  });

  it('versions, url_path from the remaining segments, and /explanations', async () => {
    await app.inject({ method: 'GET', url: '/predictions/noopversioned/1.11/v1/chat/completion' });
    await app.inject({ method: 'PUT', url: '/explanations/noopversioned/1.2.1' });
    await app.inject({ method: 'POST', url: '/explanations/noop/' });
    expect(inference.calls.map((c) => [c.model, c.version, c.request.headers.url_path, c.request.headers.explain, c.options?.explain])).toEqual([
      ['noopversioned', '1.11', 'v1/chat/completion', 'False', false],
      ['noopversioned', '1.2.1', '', 'True', true],
      ['noop', undefined, '', 'True', true],
    ]);
  });

  it('/predictions does not forward query params; urlencoded and multipart bodies become parameters', async () => {
    await app.inject({ method: 'POST', url: '/predictions/noop?data=q', payload: 'data=test&b=%41', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const boundary = 'b0undary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="x.bin"\r\n\r\nBYTES\r\n--${boundary}\r\nContent-Disposition: form-data; name="f"\r\n\r\nv\r\n--${boundary}--\r\n`;
    await app.inject({ method: 'POST', url: '/predictions/noop', payload: body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    expect(inference.calls[0]!.request.parameters.map((p) => [p.name, p.contentType, text(p.value)])).toEqual([
      ['data', '', 'test'],
      ['b', '', 'A'],
    ]);
    expect(inference.calls[1]!.request.parameters.map((p) => [p.name, p.contentType, text(p.value)])).toEqual([
      ['data', 'application/octet-stream', 'BYTES'],
      ['f', '', 'v'],
    ]);
  });

  it('handler status, headers and content type are passed through', async () => {
    inference.responder = () => ({ status: 599, headers: { dummy: '1' }, contentType: 'text/plain', body: new TextEncoder().encode('custom') });
    const res = await app.inject({ method: 'POST', url: '/predictions/noop' });
    expect(res.statusCode).toBe(599);
    expect(res.headers).toMatchObject({ dummy: '1', 'content-type': 'text/plain', connection: 'close' });
    expect(res.body).toBe('custom');
  });

  it('a handler header that could split the response is a 500 error body, not written', async () => {
    inference.responder = () => ({ status: 200, headers: { 'x-evil': 'a\r\nset-cookie: x=1' }, body: new TextEncoder().encode('never sent') });
    const res = await app.inject({ method: 'POST', url: '/predictions/noop' });
    expect(res.statusCode).toBe(500);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(JSON.parse(res.body)).toMatchObject({ code: 500, type: 'InternalServerException' });
  });

  it('an invalid handler status is a 500 error body', async () => {
    inference.responder = () => ({ status: 1200, headers: {}, body: new TextEncoder().encode('never sent') });
    const res = await app.inject({ method: 'POST', url: '/predictions/noop' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('never sent');
  });

  it('streamed results are sent chunked, in order', async () => {
    inference.responder = () => ({
      status: 200,
      headers: {},
      stream: (async function* () {
        for (const w of ['hello ', 'hello ', 'world ']) yield new TextEncoder().encode(w);
      })(),
    });
    const res = await app.inject({ method: 'POST', url: '/predictions/noop' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.body).toBe('hello hello world ');
  });

  it('SageMaker and legacy routes forward query params; /invocations finds its model', async () => {
    await app.inject({ method: 'GET', url: '/noop/predict?data=test' });
    await app.inject({ method: 'POST', url: '/invocations?model_name=noopversioned', payload: '{}', headers: { 'content-type': 'application/json' } });
    await app.inject({ method: 'POST', url: '/models/noop/invoke?a=1' });
    await app.inject({ method: 'POST', url: '/invocations', payload: 'model_name=noop&x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(inference.calls.map((c) => [c.model, c.request.parameters.map((p) => p.name).join(',')])).toEqual([
      ['noop', 'data,body'],
      ['noopversioned', 'model_name,body'],
      ['noop', 'a,body'],
      ['noop', 'model_name,x'],
    ]);
    const missing = await app.inject({ method: 'POST', url: '/invocations' });
    expect(missing.statusCode).toBe(400);
    expect(JSON.parse(missing.body)).toEqual({ code: 400, type: 'BadRequestException', message: 'Parameter model_name is required.' });
  });

  it('unknown model / version / resource; OPTIONS per model; GET / is 405; /api-description', async () => {
    const cases: [string, string, number, string][] = [
      ['POST', '/predictions/InvalidModel', 404, 'Model not found: InvalidModel'],
      ['OPTIONS', '/predictions/InvalidModel', 404, 'Model not found: InvalidModel'],
      ['POST', '/predictions/noopversioned/1.3.1', 404, 'Model version: 1.3.1 does not exist for model: noopversioned'],
      ['GET', '/predictions', 404, 'Requested resource is not found, please refer to API document.'],
      ['GET', '/InvalidUrl', 404, 'Requested resource is not found, please refer to API document.'],
      ['GET', '/', 405, 'Requested method is not allowed, please refer to API document.'],
    ];
    for (const [method, url, status, message] of cases) {
      const res = await app.inject({ method: method as 'GET', url });
      expect([url, res.statusCode, JSON.parse(res.body).message]).toEqual([url, status, message]);
      expect(res.headers.connection).toBe('close');
    }
    const doc = await app.inject({ method: 'OPTIONS', url: '/predictions/noop' });
    expect(doc.statusCode).toBe(200);
    expect(Object.keys(JSON.parse(doc.body).paths)).toContain('/predictions/noop');
    const api = await app.inject({ method: 'POST', url: '/api-description' });
    const root = await app.inject({ method: 'OPTIONS', url: '/' });
    expect(api.body).toBe(root.body);
    expect(JSON.parse(api.body)).toMatchObject({ openapi: '3.0.1', paths: { '/ping': {} } });
  });

  it('service errors map to TorchServe statuses and bodies', async () => {
    const errors = [
      [new QueueFullError('noop'), 503, 'ServiceUnavailableException'],
      [new PredictionError(), 503, 'InternalServerException'],
      [new PredictionError('teapot', { status: 418 }), 418, 'InternalServerException'],
      [new WorkerDiedError('timeout'), 500, 'InternalServerException'],
      [new OutOfResourcesError(), 507, 'InternalServerException'],
    ] as const;
    for (const [err, status, type] of errors) {
      inference.responder = () => {
        throw err;
      };
      const res = await app.inject({ method: 'POST', url: '/predictions/noop' });
      expect(res.statusCode).toBe(status);
      expect(res.body).toBe(`{\n  "code": ${status},\n  "type": "${type}",\n  "message": ${JSON.stringify(err.message)}\n}\n`);
    }
  });
});
