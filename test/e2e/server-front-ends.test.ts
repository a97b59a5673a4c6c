/**
 * `number_of_netty_threads=3` with `main_thread_connections=0`: the inference listener served by
 * three front-end threads that share one socket, while the main thread keeps the queues,
 * workers, management and metrics. Then the default steering (`main_thread_connections=4`): the
 * main thread takes new connections until it holds four, the threads from then on, and the main
 * thread again once the clients left.
 * What a client sees must not change: the same answers, errors, token rules, streaming,
 * batching across connections, dropped jobs of clients that left, metrics and graceful stop.
 * Real `bin/nserve.js`, real sockets, real worker threads (test/fixtures/e2e-handlers/scripted.js).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMar } from '../helpers/build-mar.js';
import { postJson, waitUntil } from '../helpers/http.js';
import { startNserve, type NserveProcess } from '../helpers/nserve-process.js';

const HANDLER = resolve('test/fixtures/e2e-handlers/scripted.js');
let work: string;
let runLog: string;
let server: NserveProcess;
let auth: Record<string, string>;

const ran = (): string[] => (existsSync(runLog) ? readFileSync(runLog, 'utf8').trim().split('\n') : []);
const predict = (model: string, body: unknown, init: { headers?: Record<string, string>; signal?: AbortSignal } = {}) =>
  postJson(`${server.inferenceUrl}/predictions/${model}`, body, { ...init, headers: { ...auth, ...init.headers } });

/** A POST on a connection of its own (no keep-alive pool), so requests reach different front ends. */
function freshConnectionPost(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolveRes, reject) => {
    const data = JSON.stringify(body);
    const req = httpRequest(`${server.inferenceUrl}${path}`, { method: 'POST', agent: false, headers: { ...auth, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolveRes({ status: res.statusCode!, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Requests2XX and Requests4XX from one scrape. */
async function responseCounts(): Promise<{ ok: number; bad: number }> {
  const text = await (await fetch(`${server.metricsUrl}/metrics?name[]=Requests2XX&name[]=Requests4XX`)).text();
  const value = (name: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
    return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return { ok: value('Requests2XX'), bad: value('Requests4XX') };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nserve-e2e-front-ends-'));
  runLog = join(work, 'runs.log');
  const scripted = await buildMar(join(work, 'mar'), {
    name: 'scripted',
    handlerFile: HANDLER,
    config: { minWorkers: 1, maxWorkers: 1, batchSize: 1, maxBatchDelay: 1, responseTimeout: 5, handler: { runLog } },
  });
  const batched = await buildMar(join(work, 'mar-batched'), {
    name: 'batched',
    handlerFile: HANDLER,
    config: { minWorkers: 1, maxWorkers: 1, batchSize: 4, maxBatchDelay: 2_000 },
  });
  server = await startNserve({ storeFiles: [scripted, batched], tokenAuth: true, properties: { number_of_netty_threads: 3, main_thread_connections: 0, metrics_mode: 'prometheus' } });
  auth = { authorization: `Bearer ${server.keys!.inference}` };
});

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('inference on front-end threads', () => {
  it('says so at start-up', () => {
    expect(server.log()).toMatch(/http:\/\/127\.0\.0\.1:\d+ \(inference\): 3 front-end threads take every new connection/);
  });

  it('answers predictions as the handler says, from a worker thread', async () => {
    const res = await predict('scripted', { tag: 'hello' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tag: 'hello', batchSize: 1 });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('batches requests that arrive on different connections (one queue per model, on the main thread)', async () => {
    const answers = await Promise.all([0, 1, 2, 3].map((i) => freshConnectionPost('/predictions/batched', { tag: `b${i}` })));
    for (const [i, res] of answers.entries()) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ tag: `b${i}`, batchSize: 4 });
    }
  });

  it('many concurrent clients on fresh connections all get their own answer', async () => {
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => freshConnectionPost('/predictions/scripted', { tag: `c${i}` })));
    expect(answers.map((a) => (a.body as { tag: string }).tag)).toEqual(Array.from({ length: 24 }, (_, i) => `c${i}`));
  });

  it("keeps TorchServe's errors: unknown model 404, a throwing handler 503", async () => {
    const missing = await predict('nope', { tag: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ code: 404, type: 'ModelNotFoundException', message: 'Model not found: nope' });
    const failed = await predict('scripted', { throw: 'boom' });
    expect(failed.status).toBe(503);
    expect(failed.body).toEqual({ code: 503, type: 'InternalServerException', message: 'Prediction failed' });
  });

  it('checks the inference token; /ping needs none; a refreshed key replaces the old one on every front end', async () => {
    const none = await postJson(`${server.inferenceUrl}/predictions/scripted`, { tag: 'no-key' });
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ code: 400, type: 'InvalidKeyException' });
    expect((await fetch(`${server.inferenceUrl}/ping`)).status).toBe(200);

    const old = server.keys!.inference;
    const refreshed = await fetch(`${server.managementUrl}/token?type=inference`, { method: 'POST', headers: { authorization: `Bearer ${server.keys!.api}` } });
    expect(refreshed.status).toBe(200);
    const keyFile = JSON.parse(readFileSync(join(server.dir, 'key_file.json'), 'utf8')) as { inference: { key: string } };
    expect(keyFile.inference.key).not.toBe(old);
    // Each fresh connection may land on any of the three threads: all must know the new key.
    for (let i = 0; i < 6; i++) {
      auth = { authorization: `Bearer ${keyFile.inference.key}` };
      expect((await freshConnectionPost('/predictions/scripted', { tag: `new-key-${i}` })).status).toBe(200);
      auth = { authorization: `Bearer ${old}` };
      expect((await freshConnectionPost('/predictions/scripted', { tag: `old-key-${i}` })).status).toBe(400);
    }
    auth = { authorization: `Bearer ${keyFile.inference.key}` };
  });

  it('streams chunked responses, every chunk in order', async () => {
    const res = await fetch(`${server.inferenceUrl}/predictions/scripted`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ stream: 4, chunkDelay: 50 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(await res.text()).toBe('chunk-0\nchunk-1\nchunk-2\nchunk-3\n');
  });

  it('drops a queued job whose client went away before it ran', async () => {
    const busy = predict('scripted', { sleep: 800, tag: 'busy' });
    await waitUntil(() => (ran().includes('busy') ? true : undefined), 'the first request to run');
    const abort = new AbortController();
    const gone = predict('scripted', { tag: 'gone' }, { signal: abort.signal }).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 100));
    abort.abort();
    expect(await gone).toBeInstanceOf(Error);
    expect((await busy).status).toBe(200);
    expect((await predict('scripted', { tag: 'after' })).status).toBe(200);
    expect(ran()).toContain('after');
    expect(ran()).not.toContain('gone');
  });

  it('serves KServe v2 on the same front ends: metadata, readiness and infer', async () => {
    const meta = await fetch(`${server.inferenceUrl}/v2/models/scripted`, { headers: auth });
    expect(meta.status).toBe(200);
    expect(await meta.json()).toMatchObject({ name: 'scripted', versions: ['1.0'] });
    expect((await fetch(`${server.inferenceUrl}/v2/models/scripted/ready`)).status).toBe(200);
    expect((await fetch(`${server.inferenceUrl}/v2/health/ready`)).status).toBe(200);
    const missing = await fetch(`${server.inferenceUrl}/v2/models/nope/ready`);
    expect(missing.status).toBe(404);
  });

  it('counts front-end responses in the metrics (Requests2XX / Requests4XX)', async () => {
    const before = await responseCounts();
    for (let i = 0; i < 5; i++) expect((await freshConnectionPost('/predictions/scripted', { tag: `m${i}` })).status).toBe(200);
    expect((await predict('nope', {})).status).toBe(404);
    // The first scrape's own 200 counts too (as every response of the metrics listener does).
    expect(await responseCounts()).toEqual({ ok: before.ok + 5 + 1, bad: before.bad + 1 });
  });
});

describe("KServe's layout: one address for inference and management, served by front-end threads", () => {
  let combined: NserveProcess;
  let url: string;
  let keys: { inference: string; management: string; api: string };

  /** A port free right now (the server binds it a moment later). */
  const freePort = (): Promise<number> =>
    new Promise((resolvePort) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolvePort(port));
      });
    });

  beforeAll(async () => {
    const mar = await buildMar(join(work, 'mar-combined'), { name: 'scripted', handlerFile: HANDLER, config: { minWorkers: 1, maxWorkers: 1, batchSize: 1, maxBatchDelay: 1 } });
    const port = await freePort();
    combined = await startNserve({
      storeFiles: [mar],
      tokenAuth: true,
      properties: { number_of_netty_threads: 2, main_thread_connections: 0, inference_address: `http://127.0.0.1:${port}`, management_address: `http://127.0.0.1:${port}`, metrics_mode: 'prometheus' },
    });
    url = `http://127.0.0.1:${port}`;
    keys = combined.keys!;
  });

  afterAll(async () => {
    await combined?.stop();
  });

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

  it('serves every API of the shared listener from the threads', () => {
    expect(combined.log()).toMatch(/http:\/\/127\.0\.0\.1:\d+ \(inference, management, metrics\): 2 front-end threads take every new connection/);
  });

  it('predictions with the inference key; KServe v1 readiness without a key', async () => {
    const res = await postJson(`${url}/predictions/scripted`, { tag: 'k' }, { headers: bearer(keys.inference) });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tag: 'k' });
    const ready = await fetch(`${url}/v1/models/scripted`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ name: 'scripted', ready: true });
  });

  it('management with the management key only: list, describe, scale (synchronous), set-default', async () => {
    expect((await fetch(`${url}/models`, { headers: bearer(keys.inference) })).status).toBe(400);
    const list = await fetch(`${url}/models`, { headers: bearer(keys.management) });
    expect(list.status).toBe(200);
    expect(await list.json()).toEqual({ models: [{ modelName: 'scripted', modelUrl: 'scripted.mar' }] });

    const scaled = await fetch(`${url}/models/scripted?min_worker=2&max_worker=2&synchronous=true`, { method: 'PUT', headers: bearer(keys.management) });
    expect(scaled.status).toBe(200);
    const described = (await (await fetch(`${url}/models/scripted`, { headers: bearer(keys.management) })).json()) as { workers: { status: string }[] }[];
    expect(described[0]!.workers.map((w) => w.status)).toEqual(['READY', 'READY']);

    const missing = await fetch(`${url}/models/nope`, { headers: bearer(keys.management) });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ code: 404, type: 'ModelNotFoundException', message: 'Model not found: nope' });
    const setDefault = await fetch(`${url}/models/scripted/1.0/set-default`, { method: 'PUT', headers: bearer(keys.management) });
    expect(setDefault.status).toBe(200);
  });

  it('/token with the API key refreshes the management key for every thread', async () => {
    const res = await fetch(`${url}/token?type=management`, { method: 'POST', headers: bearer(keys.api) });
    expect(res.status).toBe(200);
    const fresh = (JSON.parse(readFileSync(join(combined.dir, 'key_file.json'), 'utf8')) as { management: { key: string } }).management.key;
    expect(fresh).not.toBe(keys.management);
    for (let i = 0; i < 6; i++) {
      expect((await fetch(`${url}/models`, { headers: { ...bearer(fresh), connection: 'close' } })).status).toBe(200);
      expect((await fetch(`${url}/models`, { headers: { ...bearer(keys.management), connection: 'close' } })).status).toBe(400);
    }
    keys = { ...keys, management: fresh };
  });

  it('/metrics on the shared listener: Prometheus text that counts the threads\' responses', async () => {
    const res = await fetch(`${url}/metrics?name[]=Requests2XX`);
    expect(res.status).toBe(200);
    const line = (await res.text()).split('\n').find((l) => l.startsWith('Requests2XX{'));
    expect(Number(line?.slice(line.lastIndexOf(' ') + 1))).toBeGreaterThanOrEqual(5);
  });
});

describe('default steering: the main thread until it holds 4 connections, then the front-end threads', () => {
  let steered: NserveProcess;
  const toThreads = /new connections go to the front-end threads/g;
  const toMain = /new connections go to the main thread/g;
  const switches = (pattern: RegExp): number => steered.log().match(pattern)?.length ?? 0;

  beforeAll(async () => {
    const mar = await buildMar(join(work, 'mar-steered'), { name: 'scripted', handlerFile: HANDLER, config: { minWorkers: 1, maxWorkers: 1, batchSize: 1, maxBatchDelay: 1 } });
    steered = await startNserve({ storeFiles: [mar], properties: { number_of_netty_threads: 2 }, env: { NSERVE_LOG_LEVEL: 'debug' } });
  });

  afterAll(async () => {
    await steered?.stop();
  });

  /** A prediction through `agent` (keep-alive pool) or on a fresh connection, and the answer's `connection` header. */
  const callRaw = (tag: string, agent: Agent | false) =>
    new Promise<{ status: number; tag: unknown; connection: string | undefined }>((resolveRes, reject) => {
      const data = JSON.stringify({ tag });
      const req = httpRequest(`${steered.inferenceUrl}/predictions/scripted`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolveRes({ status: res.statusCode!, tag: (JSON.parse(text) as { tag?: unknown }).tag, connection: res.headers.connection }));
      });
      req.on('error', reject);
      req.end(data);
    });
  const call = async (tag: string, agent: Agent | false) => {
    const { status, tag: answered } = await callRaw(tag, agent);
    return { status, tag: answered };
  };

  it('says so at start-up', () => {
    expect(steered.log()).toMatch(/\(inference\): 2 front-end threads take new connections while the main thread holds 4 or more/);
  });

  it('one client stays on the main thread; eight switch new connections to the threads and back; no answer is lost', async () => {
    const one = new Agent({ keepAlive: true, maxSockets: 1 });
    const eight = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      for (let i = 0; i < 5; i++) expect(await call(`one${i}`, one)).toEqual({ status: 200, tag: `one${i}` });
      expect(switches(toThreads)).toBe(0);

      const results = await Promise.all(
        Array.from({ length: 8 }, async (_, c) => {
          const out: { status: number; tag: unknown }[] = [];
          for (let i = 0; i < 10; i++) out.push(await call(`c${c}-${i}`, eight));
          return out;
        }),
      );
      results.forEach((out, c) => expect(out).toEqual(Array.from({ length: 10 }, (_, i) => ({ status: 200, tag: `c${c}-${i}` }))));
      expect(switches(toThreads)).toBe(1);
      // The first client's connection, on the main thread, gets its answer and is asked to
      // reconnect (to the threads), so the main thread keeps to the queues and hand-offs.
      expect(await callRaw('one-again', one)).toEqual({ status: 200, tag: 'one-again', connection: 'close' });
      expect(await callRaw('one-moved', one)).toEqual({ status: 200, tag: 'one-moved', connection: 'keep-alive' });
    } finally {
      eight.destroy();
      one.destroy();
    }
    await waitUntil(() => (switches(toMain) === 1 ? true : undefined), 'new connections back on the main thread');
    expect(await call('after', false)).toEqual({ status: 200, tag: 'after' });
  });
});

describe('SIGTERM with front-end threads', () => {
  it('lets the in-flight request finish, then exits 0 and stops listening', async () => {
    const inFlight = predict('scripted', { sleep: 800, tag: 'draining' }, { headers: { connection: 'close' } });
    await waitUntil(() => (ran().includes('draining') ? true : undefined), 'the request to start running');
    server.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tag: 'draining' });
    expect(await server.exited).toBe(0);
    await expect(fetch(`${server.inferenceUrl}/ping`)).rejects.toThrow();
  });
});
