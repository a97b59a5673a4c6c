/**
 * Graceful stop of a real `bin/nserve.js`: SIGTERM while a request is running lets it finish
 * with its normal answer, then the process exits 0, removes its pid file and stops listening.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMar } from '../helpers/build-mar.js';
import { postJson, waitUntil } from '../helpers/http.js';
import { startNserve, type NserveProcess } from '../helpers/nserve-process.js';

let work: string;
let runLog: string;
let server: NserveProcess;
let mar: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nserve-e2e-shutdown-'));
  runLog = join(work, 'runs.log');
  mar = await buildMar(join(work, 'mar'), {
    name: 'scripted',
    handlerFile: resolve('test/fixtures/e2e-handlers/scripted.js'),
    config: { minWorkers: 1, maxWorkers: 1, batchSize: 1, handler: { runLog } },
  });
  server = await startNserve({ storeFiles: [mar] });
});

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ranTag = (tag: string) => () => (existsSync(runLog) && readFileSync(runLog, 'utf8').includes(tag) ? true : undefined);

describe('SIGTERM', () => {
  it('the in-flight request completes with 200, then the process exits 0, removes its pid file and stops listening', async () => {
    const pidFile = join(server.dir, 'tmp', '.model_server.pid');
    expect(readFileSync(pidFile, 'utf8')).toBe(String(server.pid));
    // `connection: close`: see the next test for what a keep-alive client does to the stop.
    const inFlight = postJson(`${server.inferenceUrl}/predictions/scripted`, { sleep: 1_200, tag: 'in-flight' }, { headers: { connection: 'close' } });
    await waitUntil(ranTag('in-flight'), 'the request to start running');
    const signalled = Date.now();
    server.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tag: 'in-flight', batchSize: 1 });
    expect(await server.exited).toBe(0);
    // It waited for the request rather than cutting it, and did not hang around afterwards.
    expect(Date.now() - signalled).toBeLessThan(5_000);
    expect(server.log()).toContain('SIGTERM received');
    expect(existsSync(pidFile)).toBe(false);
    await expect(fetch(`${server.inferenceUrl}/ping`)).rejects.toThrow();
  });
});

describe('SIGTERM with a keep-alive client', () => {
  let keepAlive: NserveProcess | undefined;
  afterAll(async () => keepAlive?.stop(0));

  // fetch keeps its connection open after the answer (keep-alive): during the drain the server
  // answers with `connection: close` and closes connections as soon as they are idle, so the
  // process exits right after the in-flight answer instead of waiting out the 10 s drain.
  it('exits soon after the in-flight answer although the client keeps its connection open', async () => {
    keepAlive = await startNserve({ storeFiles: [mar], properties: { load_models: 'scripted.mar' } });
    // An idle keep-alive connection from before the signal, and one that gets busy during the drain.
    expect((await postJson(`${keepAlive.inferenceUrl}/predictions/scripted`, { tag: 'warm' })).status).toBe(200);
    const inFlight = postJson(`${keepAlive.inferenceUrl}/predictions/scripted`, { sleep: 300, tag: 'keep-alive' });
    await waitUntil(ranTag('keep-alive'), 'the request to start running');
    keepAlive.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.headers.get('connection')).toBe('close');
    const answered = Date.now();
    const code = await Promise.race([keepAlive.exited, sleep(3_000).then(() => 'still running')]);
    expect(code, `exit ${Date.now() - answered} ms after the answer`).toBe(0);
  });
});

describe('SIGTERM after a client dropped its request', () => {
  let dropped: NserveProcess | undefined;
  afterAll(async () => dropped?.stop(0));

  // The dropped request's client pool leaves a connection that never sent a byte (Node counts
  // it as active, not idle): it used to hold the stop until the client gave it up (~4 s).
  it.each([
    ['running', { sleep: 8_000, tag: 'dropped-running' }],
    ['queued', { tag: 'dropped-queued' }],
  ] as const)('exits at once when the dropped request was %s', async (state, body) => {
    dropped = await startNserve({ storeFiles: [mar], properties: { load_models: 'scripted.mar' } });
    const url = `${dropped.inferenceUrl}/predictions/scripted`;
    expect((await postJson(url, { tag: 'warm' })).status).toBe(200);
    // For a queued one, a request that is running (and answered during the drain) holds the worker.
    const busy = state === 'queued' ? postJson(url, { sleep: 600, tag: 'busy' }) : undefined;
    if (busy !== undefined) await waitUntil(ranTag('busy'), 'the busy request to start running');
    const controller = new AbortController();
    const gone = postJson(url, body, { signal: controller.signal }).catch((e: unknown) => e);
    if (busy === undefined) await waitUntil(ranTag(body.tag), 'the request to start running');
    else await sleep(100);
    controller.abort();
    expect(await gone).toBeInstanceOf(Error);
    await sleep(100);
    const signalled = Date.now();
    dropped.child.kill('SIGTERM');
    if (busy !== undefined) expect((await busy).status).toBe(200);
    const code = await Promise.race([dropped.exited, sleep(2_500).then(() => 'still running')]);
    expect(code, `exit ${Date.now() - signalled} ms after SIGTERM`).toBe(0);
    expect(readFileSync(runLog, 'utf8')).not.toContain('dropped-queued');
    dropped = undefined;
  });
});
