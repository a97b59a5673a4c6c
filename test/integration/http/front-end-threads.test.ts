/**
 * `startFrontEndThreads` in this process: real front-end threads on a real 127.0.0.1 socket over
 * an `InferenceApi` written here, beside a main-thread server on the same socket that answers
 * `main:<body>` (the threads answer `echo:<body>`), so a client can tell who served it. What a
 * client sees while new connections are steered from the main thread to the threads and back,
 * while a thread dies (the others keep answering, a replacement joins), a refreshed key, and
 * the stop (no more connections).
 */
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { TokenKey } from '../../../src/auth/token-auth.js';
import { startFrontEndThreads, type FrontEndThreads } from '../../../src/front-end/front-end-threads.js';
import type { InferenceApi } from '../../../src/inference/inference-api.js';
import { waitUntil } from '../../helpers/http.js';

/** Answers `echo:<body>`. */
const api: InferenceApi = {
  async predict(_model, _version, request) {
    const body = request.parameters.map((p) => Buffer.from(p.value).toString()).join('');
    return { status: 200, headers: {}, contentType: 'text/plain', body: Buffer.from(`echo:${body}`) };
  },
  health: () => ({ healthy: true }),
  modelStatus: () => ({ name: 'echo', version: '1.0', versions: ['1.0'], ready: true, workers: 1, handler: 'echo' }),
  modelNames: () => ['echo'],
};

const errors: string[] = [];
const logger = { info: () => {}, warn: () => {}, error: (m: string) => void errors.push(m) };
let frontEnds: FrontEndThreads | undefined;
let main: Server | undefined;
/** Set through `onAcceptor` while the threads accept: the main server's answers say `connection: close`. */
let releasing = false;

afterEach(async () => {
  await frontEnds?.close(0);
  frontEnds = undefined;
  if (main !== undefined) await new Promise<void>((resolve) => (main!.close(() => resolve()), main!.closeAllConnections()));
  main = undefined;
  releasing = false;
  errors.length = 0;
});

/** The main thread's own inference server: answers `main:<body>`. */
async function mainServer(): Promise<Server> {
  const server = createServer({ keepAlive: true }, (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (releasing) res.setHeader('connection', 'close');
      res.end(`main:${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  return server;
}

/** Threshold 0: the threads take every connection. */
async function start(auth?: { keys: { inference: TokenKey; management: TokenKey }; exemptPaths: string[] }, threshold = 0): Promise<FrontEndThreads> {
  main = await mainServer();
  const started = await startFrontEndThreads({
    threads: 2,
    main,
    threshold,
    onAcceptor: (acceptor) => void (releasing = acceptor === 'threads'),
    thread: { groups: ['inference'], routes: { serviceEnvelope: undefined, vertex: undefined, version: '0.0.0' }, maxRequestSize: 1_000_000, cors: {}, logLevel: 'error', ...(auth ? { auth } : {}) },
    inference: api,
    logger,
    restartDelayMs: 50,
  });
  // The main server pauses when the threads are told to accept.
  if (threshold === 0) await waitUntil(() => (main!.listening ? undefined : true), 'the main server to pause');
  return started;
}

/** One request, on a connection of its own unless an agent is given. */
function post(port: number, body: string, headers: Record<string, string> = {}, agent: Agent | false = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/predictions/echo', method: 'POST', agent, headers: { 'content-type': 'text/plain', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('front-end threads', () => {
  it('the main thread takes new connections until it holds 4; then the threads do, until the clients are gone', async () => {
    frontEnds = await start(undefined, 4);
    expect(frontEnds.acceptor).toBe('main');
    expect(await post(frontEnds.port, 'one')).toEqual({ status: 200, text: 'main:one' });

    // Four keep-alive connections held open on the main thread.
    const held = new Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const first = await Promise.all([0, 1, 2, 3].map((i) => post(frontEnds!.port, `k${i}`, {}, held)));
      expect(first.map((r) => r.text)).toEqual(['main:k0', 'main:k1', 'main:k2', 'main:k3']);
      await waitUntil(() => (frontEnds!.acceptor === 'threads' && !main!.listening ? true : undefined), 'the threads to take over');
      // New connections reach the threads. Each held one gets at most one more answer from the
      // main thread (its first answer after the switch asks it to reconnect; that may already
      // have been one of the four above), then comes back through the threads.
      for (let i = 0; i < 6; i++) expect(await post(frontEnds.port, `n${i}`)).toEqual({ status: 200, text: `echo:n${i}` });
      const again = await Promise.all([0, 1, 2, 3].map((i) => post(frontEnds!.port, `h${i}`, {}, held)));
      again.forEach((r, i) => expect([`main:h${i}`, `echo:h${i}`]).toContain(r.text));
      const moved = await Promise.all([0, 1, 2, 3].map((i) => post(frontEnds!.port, `t${i}`, {}, held)));
      expect(moved.map((r) => r.text)).toEqual(['echo:t0', 'echo:t1', 'echo:t2', 'echo:t3']);
    } finally {
      held.destroy();
    }
    // Nearly idle again: the main thread accepts (and keeps its connections), the threads pause.
    await waitUntil(() => (frontEnds!.acceptor === 'main' && main!.listening ? true : undefined), 'the main thread to take over again');
    expect(releasing).toBe(false);
    for (let i = 0; i < 4; i++) expect(await post(frontEnds.port, `m${i}`)).toEqual({ status: 200, text: `main:m${i}` });
    expect(errors).toEqual([]);
  });

  it('with every thread gone the main thread accepts again, until a replacement takes over', async () => {
    frontEnds = await start();
    expect(await post(frontEnds.port, 'a')).toEqual({ status: 200, text: 'echo:a' });
    const ids = frontEnds.threadIds;
    await Promise.all(ids.map((id) => frontEnds!.terminate(id)));
    // Answered by the main thread while none runs, then by the replacements.
    const seen = new Set<string>();
    await waitUntil(async () => {
      const { status, text } = await post(frontEnds!.port, 'x');
      expect(status).toBe(200);
      seen.add(text);
      return frontEnds!.size === 2 && frontEnds!.acceptor === 'threads' && !main!.listening ? true : undefined;
    }, 'replacements');
    expect(seen.has('main:x')).toBe(true);
    expect((await post(frontEnds.port, 'b')).text).toBe('echo:b');
  });

  it('two threads serve the port; when one dies the other keeps answering and a replacement joins', async () => {
    frontEnds = await start();
    expect(frontEnds.size).toBe(2);
    const before = frontEnds.threadIds;
    expect((await post(frontEnds.port, 'a')).text).toBe('echo:a');

    await frontEnds.terminate(before[0]!);
    // Every request after the death is answered (by the survivor, then by either).
    for (let i = 0; i < 20; i++) expect(await post(frontEnds.port, `r${i}`)).toEqual({ status: 200, text: `echo:r${i}` });
    await waitUntil(() => (frontEnds!.size === 2 ? true : undefined), 'a replacement thread');
    expect(frontEnds.threadIds).not.toContain(before[0]);
    expect(frontEnds.threadIds).toContain(before[1]);
    expect(errors.some((e) => /front-end thread \d+ exited/.test(e))).toBe(true);
    for (let i = 0; i < 10; i++) expect((await post(frontEnds.port, `s${i}`)).status).toBe(200);
  });

  it('a refreshed key reaches every thread; the old one is refused', async () => {
    const key: TokenKey = { key: 'first-key', expiresAt: Date.now() + 60_000 };
    frontEnds = await start({ keys: { inference: key, management: { key: 'management-key' } }, exemptPaths: [] });
    expect((await post(frontEnds.port, 'x', { authorization: 'Bearer first-key' })).status).toBe(200);
    frontEnds.updateKey('inference', { key: 'second-key', expiresAt: Date.now() + 60_000 });
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 8; i++) {
      expect((await post(frontEnds.port, 'x', { authorization: 'Bearer second-key' })).status).toBe(200);
      expect((await post(frontEnds.port, 'x', { authorization: 'Bearer first-key' })).status).toBe(400);
    }
  });

  it('threads that cannot start: the start fails and the main server keeps answering alone', async () => {
    main = await mainServer();
    const port = (main.address() as AddressInfo).port;
    await expect(
      startFrontEndThreads({
        threads: 2,
        main,
        threshold: 0,
        // Not a key: each thread fails while building its https app.
        thread: { groups: ['inference'], routes: { serviceEnvelope: undefined, vertex: undefined, version: '0.0.0' }, maxRequestSize: 1_000_000, cors: {}, logLevel: 'error', https: { key: 'not a key', cert: 'not a cert' } },
        inference: api,
        logger,
      }),
    ).rejects.toThrow();
    expect(main.listening).toBe(true);
    for (let i = 0; i < 4; i++) expect(await post(port, `m${i}`)).toEqual({ status: 200, text: `main:m${i}` });
  });

  it('close() stops every thread and the main server accepting: with the main server closed too, the port refuses connections', async () => {
    frontEnds = await start(undefined, 4);
    const { port } = frontEnds;
    expect((await post(port, 'a')).status).toBe(200);
    await frontEnds.close(1_000);
    expect(frontEnds.size).toBe(0);
    expect(main!.listening).toBe(false);
    await new Promise<void>((resolve) => main!.close(() => resolve()));
    main = undefined;
    await expect(post(port, 'b')).rejects.toThrow(/ECONNREFUSED/);
    frontEnds = undefined;
  });
});
