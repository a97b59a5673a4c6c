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

  // KNOWN BUG (it.fails: this turns red once fixed; then make it a plain `it`). During the drain
  // the REST listeners close only the connections that were idle at SIGTERM time. The in-flight
  // request's keep-alive connection (fetch's default) turns idle after its answer, which still
  // says `connection: keep-alive`; nothing closes it, so the process waits out the whole 10 s
  // drain (DRAIN_MS in src/main.ts) before it exits.
  it.fails('exits soon after the in-flight answer although the client keeps its connection open', async () => {
    keepAlive = await startNserve({ storeFiles: [mar], properties: { load_models: 'scripted.mar' } });
    const inFlight = postJson(`${keepAlive.inferenceUrl}/predictions/scripted`, { sleep: 300, tag: 'keep-alive' });
    await waitUntil(ranTag('keep-alive'), 'the request to start running');
    keepAlive.child.kill('SIGTERM');
    const res = await inFlight;
    expect(res.status).toBe(200);
    const answered = Date.now();
    const code = await Promise.race([keepAlive.exited, sleep(3_000).then(() => 'still running')]);
    expect(code, `exit ${Date.now() - answered} ms after the answer`).toBe(0);
  });
});
