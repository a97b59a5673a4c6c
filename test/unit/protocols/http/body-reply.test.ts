/**
 * `reply.sendBody`: a prediction's full answer written straight to the socket must look to a
 * client exactly like the same answer sent through fastify: status, common headers, handler
 * headers and type, exact bytes (any byte value, any size), bodiless statuses, and the
 * per-response bookkeeping (status metric, drain).
 */
import type { FastifyInstance } from 'fastify';
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ONE_WRITE_MAX_BYTES, type BodyAnswer } from '../../../../src/protocols/http/body-reply.js';
import { ConnectionDrain } from '../../../../src/protocols/http/connection-drain.js';
import { createHttpApp, type HttpAppOptions } from '../../../../src/protocols/http/http-app.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A listener on 127.0.0.1 whose POST /answer replies with `answer` via sendBody (or via fastify's send when `viaFastify`). */
async function serve(answer: () => BodyAnswer, extra: Partial<HttpAppOptions> = {}): Promise<string> {
  app = await createHttpApp({
    groups: ['inference'],
    maxRequestSize: 1024,
    plugins: {
      inference: [
        (a) => {
          a.post('/answer', async (_request, reply) => reply.sendBody(answer()));
          a.post('/fastify', async (_request, reply) => {
            const x = answer();
            return reply.code(x.status).headers(x.headers).header('content-type', x.contentType ?? 'application/octet-stream').send(Buffer.from(x.body));
          });
        },
      ],
    },
    ...extra,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
}

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function post(url: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const every = Uint8Array.from({ length: 512 }, (_, i) => i % 256);

describe('reply.sendBody', () => {
  it('sends every byte value unchanged, small (one write) and large, with the common headers and no Content-Type by default', async () => {
    for (const size of [1, 512, ONE_WRITE_MAX_BYTES, ONE_WRITE_MAX_BYTES + 1, 1_000_000]) {
      const body = Uint8Array.from({ length: size }, (_, i) => every[i % every.length]!);
      const url = await serve(() => ({ status: 200, headers: {}, contentType: undefined, body }));
      const res = await post(`${url}/answer`);
      expect(res.status).toBe(200);
      expect(res.body.equals(Buffer.from(body)), `size ${size}`).toBe(true);
      expect(res.headers['content-length']).toBe(String(size));
      expect(res.headers['content-type']).toBeUndefined();
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers).toMatchObject({ pragma: 'no-cache', 'cache-control': 'no-cache; no-store, must-revalidate, private', expires: 'Thu, 01 Jan 1970 00:00:00 UTC' });
      await app!.close();
      app = undefined;
    }
  });

  it('carries the status, content type and handler headers (names lower-cased) exactly as fastify would', async () => {
    const answer = (): BodyAnswer => ({ status: 422, headers: { 'X-Custom': 'v1', 'x-other': 'café' }, contentType: 'text/plain; charset=utf-8', body: Buffer.from('nope') });
    const url = await serve(answer);
    const direct = await post(`${url}/answer`);
    const viaFastify = await post(`${url}/fastify`);
    expect(direct.status).toBe(422);
    expect(direct.body.toString()).toBe('nope');
    const comparable = (r: Raw) => {
      const { date, 'x-request-id': _id, ...rest } = r.headers;
      void date;
      void _id;
      return rest;
    };
    expect(comparable(direct)).toEqual(comparable(viaFastify));
    expect(direct.headers).toMatchObject({ 'x-custom': 'v1', 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
  });

  it('204 and 304 go out without body, Content-Length or Content-Type', async () => {
    for (const status of [204, 304]) {
      const url = await serve(() => ({ status, headers: {}, contentType: 'application/json', body: Buffer.from('ignored') }));
      const res = await post(`${url}/answer`);
      expect(res.status).toBe(status);
      expect(res.body.length).toBe(0);
      expect(res.headers['content-length']).toBeUndefined();
      expect(res.headers['content-type']).toBeUndefined();
      await app!.close();
      app = undefined;
    }
  });

  it('a header value a client could be attacked with is refused with TorchServe\'s 500 JSON before anything is written', async () => {
    const url = await serve(() => ({ status: 200, headers: { 'x-evil': 'a\r\nset-cookie: x=1' }, contentType: undefined, body: Buffer.from('x') }));
    const res = await post(`${url}/answer`);
    expect(res.status).toBe(500);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(JSON.parse(res.body.toString())).toMatchObject({ code: 500, type: 'InternalServerException' });
  });

  it('so is a content type with a line break', async () => {
    const url = await serve(() => ({ status: 200, headers: {}, contentType: 'text/plain\r\nx-injected: 1', body: Buffer.from('x') }));
    const res = await post(`${url}/answer`);
    expect(res.status).toBe(500);
    expect(res.headers['x-injected']).toBeUndefined();
  });

  it('an invalid handler status is refused the same way', async () => {
    const url = await serve(() => ({ status: 1200, headers: {}, contentType: undefined, body: Buffer.from('x') }));
    const res = await post(`${url}/answer`);
    expect(res.status).toBe(500);
  });

  it('counts each answer in the status metric and says connection: close while draining', async () => {
    const statuses: number[] = [];
    const drain = new ConnectionDrain();
    let status = 200;
    const url = await serve(() => ({ status, headers: {}, contentType: undefined, body: Buffer.from('x') }), { onResponseStatus: (s) => statuses.push(s), drain });
    await post(`${url}/answer`);
    status = 503;
    await post(`${url}/answer`);
    expect(statuses).toEqual([200, 503]);
    status = 200;
    drain.start();
    const res = await post(`${url}/answer`);
    expect(res.headers.connection).toBe('close');
  });

  it('adds configured CORS headers', async () => {
    const url = await serve(() => ({ status: 200, headers: {}, contentType: undefined, body: Buffer.from('x') }), { cors: { allowedOrigin: '*', allowedMethods: 'POST', allowedHeaders: 'x-a' } });
    const res = await post(`${url}/answer`);
    expect(res.headers).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'x-a' });
  });
});
