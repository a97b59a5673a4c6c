/**
 * The REST listeners on real sockets (127.0.0.1, ephemeral ports): separate and combined
 * connectors, body limit, connection handling, malformed HTTP, client aborts and streaming.
 */
import { Agent, request as httpRequest } from 'node:http';
import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Job } from '../../../src/batching/job.js';
import { parseAddress } from '../../../src/config/index.js';
import { startListeners, type Listeners, type StartListenersOptions } from '../../../src/protocols/http/listeners.js';
import { torchServeInferenceRoutes } from '../../../src/protocols/torchserve/inference-routes.js';
import { torchServeManagementRoutes } from '../../../src/protocols/torchserve/management-routes.js';
import { openApiDocument } from '../../../src/protocols/torchserve/openapi.js';
import { FakeInference, FakeManagement } from '../../unit/protocols/torchserve/fakes.js';

let listeners: Listeners | undefined;
afterEach(async () => {
  await listeners?.close(1000);
  listeners = undefined;
});

const addr = (key: string, port: number) => parseAddress(key, `http://127.0.0.1:${port}`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function start(inference: FakeInference, management: FakeManagement, overrides: Partial<StartListenersOptions> = {}): Promise<Listeners> {
  listeners = await startListeners({
    inferenceAddress: addr('inference_address', 0),
    managementAddress: addr('management_address', 0),
    metricsAddress: addr('metrics_address', 0),
    maxRequestSize: 1024,
    inference: [torchServeInferenceRoutes({ inference })],
    management: [torchServeManagementRoutes({ management, enableModelApi: true })],
    metrics: [(app) => void app.all('/metrics', async (_q, reply) => reply.type('text/plain').send('# metrics\n'))],
    apiDescription: (groups) => openApiDocument(groups, '0.1.0'),
    ...overrides,
  });
  return listeners;
}

const url = (l: Listeners, group: 'inference' | 'management' | 'metrics', path: string) => `http://127.0.0.1:${l.find(group)!.port}${path}`;

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  socketClosed: boolean;
}

/** Plain node:http request on a keep-alive socket, so connection handling is observable. */
function send(target: string, method: string, body?: Buffer): Promise<RawResponse> {
  const agent = new Agent({ keepAlive: true });
  return new Promise((resolve, reject) => {
    const headers = { ...(body ? { 'content-type': 'application/octet-stream', 'content-length': String(body.length) } : {}) };
    const req = httpRequest(target, { method, agent, headers }, (res) => {
      let socketClosed = false;
      res.socket.once('close', () => (socketClosed = true));
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        setTimeout(() => {
          agent.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), socketClosed });
        }, 100);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('REST listeners on real sockets', () => {
  it('separate listeners serve their own groups; each has OPTIONS / and the 404 fallback', async () => {
    const l = await start(new FakeInference(), new FakeManagement());
    expect(l.listeners.map((x) => x.groups)).toEqual([['inference'], ['management'], ['metrics']]);
    expect(await (await fetch(url(l, 'inference', '/ping'))).json()).toEqual({ status: 'Healthy' });
    expect((await fetch(url(l, 'inference', '/models'))).status).toBe(404);
    expect((await fetch(url(l, 'management', '/models'))).status).toBe(200);
    expect((await fetch(url(l, 'management', '/ping'))).status).toBe(404);
    expect(await (await fetch(url(l, 'metrics', '/metrics'))).text()).toBe('# metrics\n');
    const doc = (await (await fetch(url(l, 'metrics', '/'), { method: 'OPTIONS' })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(['/metrics']);
  });

  it('one combined listener when inference and management share host:port; 4-segment /models/{m}/{v} works there', async () => {
    const port = await freePort();
    const management = new FakeManagement();
    const l = await start(new FakeInference(), management, { inferenceAddress: addr('inference_address', port), managementAddress: addr('management_address', port) });
    expect(l.listeners.map((x) => x.groups)).toEqual([['inference', 'management', 'metrics'], ['metrics']]);
    const base = `http://127.0.0.1:${port}`;
    expect(await (await fetch(`${base}/predictions/noop`, { method: 'POST', body: 'x' })).text()).toBe('OK');
    const described = (await (await fetch(`${base}/models/noop/1.0`)).json()) as { modelVersion: string }[];
    expect(described[0]!.modelVersion).toBe('1.0');
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await fetch(`${base}/models/noop/invoke`, { method: 'POST' })).status).toBe(200);
  });

  it('oversized body: 413, empty body, connection closed; errors close the connection, success keeps it', async () => {
    const l = await start(new FakeInference(), new FakeManagement());
    const big = await send(url(l, 'inference', '/predictions/noop'), 'POST', Buffer.alloc(1025));
    expect(big.status).toBe(413);
    expect(big.body.length).toBe(0);
    expect(big.socketClosed).toBe(true);
    const ok = await send(url(l, 'inference', '/predictions/noop'), 'POST', Buffer.alloc(1024));
    expect(ok.status).toBe(200);
    expect(ok.socketClosed).toBe(false);
    const missing = await send(url(l, 'inference', '/predictions/ghost'), 'POST');
    expect(missing.status).toBe(404);
    expect(missing.headers.connection).toBe('close');
    expect(missing.socketClosed).toBe(true);
  });

  it('malformed HTTP gets 400 "Invalid HTTP message."', async () => {
    const l = await start(new FakeInference(), new FakeManagement());
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(l.find('inference')!.port!, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => resolve(text));
    });
    expect(reply.startsWith('HTTP/1.1 400')).toBe(true);
    expect(reply).toContain('"message": "Invalid HTTP message."');
  });

  it('a client that goes away cancels the request handed to the service', async () => {
    const inference = new FakeInference();
    let aborted: Promise<unknown> | undefined;
    inference.responder = (call) => {
      // The service's side of `onCancel`: a Job with it, as InferenceService builds one.
      const job = new Job({ request: call.request, onCancel: call.options!.onCancel! });
      aborted = job.result.catch((err: unknown) => err);
      return new Promise(() => {});
    };
    const l = await start(inference, new FakeManagement());
    const controller = new AbortController();
    const pending = fetch(url(l, 'inference', '/predictions/noop'), { method: 'POST', body: 'x', signal: controller.signal }).catch(() => 'aborted');
    while (aborted === undefined) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    expect(await pending).toBe('aborted');
    expect((await aborted) as Error).toMatchObject({ kind: 'CANCELLED' });
  });

  it('streams chunks as they come; a mid-stream failure cuts the response short', async () => {
    const inference = new FakeInference();
    let fail = false;
    inference.responder = () => ({
      status: 200,
      headers: {},
      stream: (async function* () {
        yield new TextEncoder().encode('hello ');
        await new Promise((r) => setTimeout(r, 20));
        if (fail) throw new Error('worker died mid-stream');
        yield new TextEncoder().encode('world');
      })(),
    });
    const l = await start(inference, new FakeManagement());
    const res = await fetch(url(l, 'inference', '/predictions/noop'), { method: 'POST' });
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(await res.text()).toBe('hello world');
    fail = true;
    const broken = await fetch(url(l, 'inference', '/predictions/noop'), { method: 'POST' });
    expect(broken.status).toBe(200);
    await expect(broken.text()).rejects.toThrow();
  });
  it('close() does not wait for keep-alive clients: in-flight answers say connection: close, idle and silent connections are closed', async () => {
    const inference = new FakeInference();
    let releaseBody!: () => void;
    let releaseStream!: () => void;
    const bodyGate = new Promise<void>((r) => (releaseBody = r));
    const streamGate = new Promise<void>((r) => (releaseStream = r));
    inference.responder = async (call) => {
      if (call.model !== 'noop') throw new Error('unexpected');
      const kind = new TextDecoder().decode(call.request.parameters[0]!.value);
      if (kind === 'body') {
        await bodyGate;
        return { status: 200, headers: {}, body: new TextEncoder().encode('late') };
      }
      if (kind === 'stream') {
        return { status: 200, headers: {}, stream: (async function* () {
          yield new TextEncoder().encode('a');
          await streamGate; // headers (keep-alive) went out before the stop
          yield new TextEncoder().encode('b');
        })() };
      }
      return { status: 200, headers: {}, body: new TextEncoder().encode('OK') };
    };
    const l = await start(inference, new FakeManagement());
    const target = url(l, 'inference', '/predictions/noop');
    // A client that keeps every connection open until the server closes it.
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    const post = (body: string) =>
      new Promise<{ headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
        const req = httpRequest(target, { method: 'POST', agent, headers: { 'content-length': String(body.length) } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ headers: res.headers, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    expect((await post('quick')).headers.connection).toBe('keep-alive'); // its socket stays open, idle
    const silent = connect(l.find('inference')!.port!, '127.0.0.1'); // connected, never sends a byte
    const silentClosed = new Promise<void>((r) => silent.on('close', () => r()));
    silent.on('error', () => {});
    const inFlight = post('body');
    const streamed = post('stream');
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const closing = l.close(10_000);
    listeners = undefined;
    await silentClosed;
    releaseBody();
    const answer = await inFlight;
    expect(answer.headers.connection).toBe('close');
    expect(answer.body).toBe('late');
    releaseStream();
    expect((await streamed).body).toBe('ab');
    await closing;
    expect(performance.now() - t0).toBeLessThan(2_000);
    agent.destroy();
  });
});
