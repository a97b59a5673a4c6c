import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import * as errors from '../../../../src/errors/index.js';
import type { ErrorKind, ServeError } from '../../../../src/errors/index.js';
import { HTTP_STATUS_BY_KIND, mapError } from '../../../../src/protocols/http/error-mapping.js';
import { createHttpApp, type HttpAppOptions } from '../../../../src/protocols/http/http-app.js';
import { rawBody } from '../../../../src/protocols/http/raw-body.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** One instance of every catalog error, with the status and type TorchServe answers. */
const CATALOG: [ServeError, number, string][] = [
  [new errors.BadRequestError('Parameter url is required.'), 400, 'BadRequestException'],
  [new errors.InvalidInputError('bad shape'), 400, 'BadRequestException'],
  [new errors.InvalidModelError('Model name is not defined.'), 400, 'InvalidModelException'],
  [new errors.ArchiveError('zip slip'), 400, 'ModelException'],
  [new errors.DownloadArchiveError('Failed to download archive from: x'), 400, 'DownloadArchiveException'],
  [new errors.UnauthenticatedError(), 400, 'InvalidKeyException'],
  [new errors.ForbiddenError('Cannot remove default version for model m'), 403, 'InvalidModelVersionException'],
  [new errors.ResourceNotFoundError(), 404, 'ResourceNotFoundException'],
  [new errors.ModelNotFoundError('m'), 404, 'ModelNotFoundException'],
  [new errors.ModelVersionNotFoundError('m', '9'), 404, 'ModelVersionNotFoundException'],
  [new errors.MethodNotAllowedError(), 405, 'MethodNotAllowedException'],
  [new errors.RequestTimeoutError('Timed out while cleaning resources: m'), 408, 'RequestTimeoutException'],
  [new errors.ConflictError('Model version 1.0 is already registered for model m'), 409, 'ConflictStatusException'],
  [new errors.InternalServerError('Failed to start workers for model m version: null'), 500, 'InternalServerException'],
  [new errors.WorkerDiedError('crash'), 500, 'InternalServerException'],
  [new errors.NotImplementedError('no'), 501, 'NotImplementedException'],
  [new errors.PredictionError(), 503, 'InternalServerException'],
  [new errors.ServiceUnavailableError('Model "m" has no worker to serve describe request.'), 503, 'ServiceUnavailableException'],
  [new errors.QueueFullError('m', '1.0'), 503, 'ServiceUnavailableException'],
  [new errors.ModelNotReadyError('m'), 503, 'ServiceUnavailableException'],
  [new errors.OutOfResourcesError(), 507, 'InternalServerException'],
  [new errors.ConfigError('job_queue_size', 'x', 'an integer'), 400, 'ConfigException'],
];

async function appWith(extra: Partial<HttpAppOptions> = {}, route?: (a: FastifyInstance) => void): Promise<FastifyInstance> {
  app = await createHttpApp({ groups: ['inference'], plugins: { inference: route === undefined ? [] : [route] }, maxRequestSize: 64, ...extra });
  return app;
}

describe('error mapping', () => {
  it('covers every error kind and every catalog class', () => {
    const kinds = new Set(CATALOG.map(([e]) => e.kind));
    for (const kind of Object.keys(HTTP_STATUS_BY_KIND) as ErrorKind[]) {
      if (kind !== 'PAYLOAD_TOO_LARGE' && kind !== 'CANCELLED') expect(kinds, kind).toContain(kind);
    }
    const classes = Object.values(errors).filter((v) => typeof v === 'function' && v.prototype instanceof errors.ServeError);
    const covered = new Set(CATALOG.map(([e]) => e.constructor));
    for (const cls of classes) {
      if (cls !== errors.PayloadTooLargeError && cls !== errors.CancelledError) expect(covered, (cls as { name: string }).name).toContain(cls);
    }
  });

  it('every catalog error becomes {code, type, message} with its status, on the wire', async () => {
    let current: Error = new Error('unset');
    await appWith({}, (a) => {
      a.all('/boom', async () => {
        throw current;
      });
    });
    for (const [err, status, type] of CATALOG) {
      current = err;
      const res = await app!.inject({ method: 'POST', url: '/boom' });
      expect(res.statusCode, err.name).toBe(status);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.body).toBe(`${JSON.stringify({ code: status, type, message: err.message }, null, 2)}\n`);
    }
    current = new TypeError('x is undefined');
    const res = await app!.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({ code: 500, type: 'InternalServerException', message: 'x is undefined' });
  });

  it('503 queue-full / not-ready answers carry Retry-After; other errors do not', () => {
    expect(mapError(new errors.QueueFullError('m')).headers).toEqual({ 'retry-after': '1' });
    expect(mapError(new errors.PredictionError()).headers).toBeUndefined();
  });

  it('an explicit status wins; a too-large payload error has an empty body', () => {
    expect(mapError(new errors.PredictionError('custom', { status: 599 }))).toEqual({ status: 599, body: { code: 599, type: 'InternalServerException', message: 'custom' } });
    expect(mapError(new errors.PayloadTooLargeError('big'))).toEqual({ status: 413, body: undefined });
  });
});

describe('common response behaviour', () => {
  it('fresh x-request-id per request (incoming ignored), cache headers, keep-alive < 400, close >= 400', async () => {
    await appWith({}, (a) => {
      a.get('/ok', async (_q, reply) => reply.send('ok'));
    });
    const r1 = await app!.inject({ method: 'GET', url: '/ok', headers: { 'x-request-id': 'client-id' } });
    const r2 = await app!.inject({ method: 'GET', url: '/ok' });
    expect(r1.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(r1.headers['x-request-id']).not.toBe(r2.headers['x-request-id']);
    expect(r1.headers).toMatchObject({ pragma: 'no-cache', 'cache-control': 'no-cache; no-store, must-revalidate, private', expires: 'Thu, 01 Jan 1970 00:00:00 UTC' });
    expect(r1.headers.connection).not.toBe('close');
    const missing = await app!.inject({ method: 'GET', url: '/nope' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers.connection).toBe('close');
    expect(missing.headers['x-request-id']).toBeDefined();
    expect(JSON.parse(missing.body)).toEqual({ code: 404, type: 'ResourceNotFoundException', message: 'Requested resource is not found, please refer to API document.' });
  });

  it('bodies over max_request_size get 413 with an empty body; at the limit they pass as raw bytes', async () => {
    let seen: Buffer | undefined;
    await appWith({}, (a) => {
      a.post('/echo', async (request, reply) => {
        seen = rawBody(request);
        return reply.send('ok');
      });
    });
    const big = await app!.inject({ method: 'POST', url: '/echo', payload: Buffer.alloc(65), headers: { 'content-type': 'application/octet-stream' } });
    expect(big.statusCode).toBe(413);
    expect(big.body).toBe('');
    expect(big.headers['content-length']).toBe('0');
    expect(big.headers.connection).toBe('close');
    const json = await app!.inject({ method: 'POST', url: '/echo', payload: '{not json', headers: { 'content-type': 'application/json' } });
    expect(json.statusCode).toBe(200);
    expect(seen?.toString()).toBe('{not json');
    const noType = await app!.inject({ method: 'POST', url: '/echo', payload: Buffer.alloc(64, 1) });
    expect(noType.statusCode).toBe(200);
    expect(seen?.length).toBe(64);
  });

  it('CORS headers when configured; group hooks guard only their routes, public routes skip them', async () => {
    app = await createHttpApp({
      groups: ['inference', 'management'],
      maxRequestSize: 64,
      cors: { allowedOrigin: '*', allowedMethods: 'GET, POST' },
      plugins: {
        inference: [(a) => void a.get('/inf', async () => 'inf'), (a) => void a.get('/open', { config: { nservePublic: true } }, async () => 'open')],
        management: [(a) => void a.get('/mgmt', async () => 'mgmt')],
      },
      hooks: {
        inference: [async (request) => { if (request.headers.authorization !== 'Bearer inf') throw new errors.UnauthenticatedError(); }],
        management: [async (request) => { if (request.headers.authorization !== 'Bearer mgmt') throw new errors.UnauthenticatedError(); }],
      },
      apiDescription: () => ({ openapi: '3.0.1' }),
    });
    const get = (url: string, token?: string) => app!.inject({ method: 'GET', url, headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    expect((await get('/inf', 'inf')).statusCode).toBe(200);
    expect((await get('/inf', 'mgmt')).statusCode).toBe(400);
    expect((await get('/mgmt', 'mgmt')).statusCode).toBe(200);
    expect((await get('/mgmt', 'inf')).statusCode).toBe(400);
    expect((await get('/open')).statusCode).toBe(200);
    expect((await get('/api-description')).statusCode).toBe(200);
    const res = await get('/inf', 'inf');
    expect(res.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST' });
    expect(res.headers['access-control-allow-headers']).toBeUndefined();
  });
});
