/**
 * `startFrontEndThreads` in this process: real front-end threads on a real 127.0.0.1 socket over
 * an `InferenceApi` written here. What a client sees while a thread dies (the others keep
 * answering, a replacement joins), a refreshed key, and the stop (no more connections).
 */
import { request as httpRequest } from 'node:http';
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

afterEach(async () => {
  await frontEnds?.close(0);
  frontEnds = undefined;
  errors.length = 0;
});

function start(auth?: { keys: { inference: TokenKey; management: TokenKey }; exemptPaths: string[] }): Promise<FrontEndThreads> {
  return startFrontEndThreads({
    threads: 2,
    host: '127.0.0.1',
    port: 0,
    thread: { groups: ['inference'], routes: { serviceEnvelope: undefined, vertex: undefined, version: '0.0.0' }, maxRequestSize: 1_000_000, cors: {}, logLevel: 'error', ...(auth ? { auth } : {}) },
    inference: api,
    logger,
    restartDelayMs: 50,
  });
}

/** One request on a connection of its own (so it may reach any thread). */
function post(port: number, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/predictions/echo', method: 'POST', agent: false, headers: { 'content-type': 'text/plain', ...headers } }, (res) => {
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

  it('close() stops every thread: the port refuses connections', async () => {
    frontEnds = await start();
    const { port } = frontEnds;
    expect((await post(port, 'a')).status).toBe(200);
    await frontEnds.close(1_000);
    expect(frontEnds.size).toBe(0);
    await expect(post(port, 'b')).rejects.toThrow(/ECONNREFUSED/);
    frontEnds = undefined;
  });
});
