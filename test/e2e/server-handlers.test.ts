/**
 * A custom JavaScript handler packaged with the archiver CLI and served by a real
 * `bin/nserve.js`: failures users can cause (timeouts, throwing, a dying thread), streaming,
 * a full queue, clients that go away. Handler: test/fixtures/e2e-handlers/scripted.js.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMar } from '../helpers/build-mar.js';
import { postJson, waitUntil } from '../helpers/http.js';
import { startNserve, type NserveProcess } from '../helpers/nserve-process.js';

const HANDLER = resolve('test/fixtures/e2e-handlers/scripted.js');
const QUEUE_SIZE = 2;
let work: string;
let runLog: string;
let server: NserveProcess;

const ran = (): string[] => (existsSync(runLog) ? readFileSync(runLog, 'utf8').trim().split('\n') : []);
const predict = (body: unknown, signal?: AbortSignal) => postJson(`${server.inferenceUrl}/predictions/scripted`, body, signal ? { signal } : {});
const waitRan = (tag: string) => waitUntil(() => (ran().includes(tag) ? true : undefined), `the handler to run ${tag}`);

async function pending(): Promise<number> {
  const res = await fetch(`${server.managementUrl}/models/scripted`);
  return ((await res.json()) as { jobQueueStatus: { pendingRequests: number } }[])[0]!.jobQueueStatus.pendingRequests;
}

const workerDied = { code: 500, type: 'InternalServerException', message: 'Worker died.' };

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nserve-e2e-handlers-'));
  runLog = join(work, 'runs.log');
  const mar = await buildMar(join(work, 'mar'), {
    name: 'scripted',
    handlerFile: HANDLER,
    config: { minWorkers: 1, maxWorkers: 1, batchSize: 1, maxBatchDelay: 1, responseTimeout: 2, handler: { runLog } },
  });
  server = await startNserve({ storeFiles: [mar], properties: { job_queue_size: QUEUE_SIZE } });
});

afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('custom JS handler in a .mar', () => {
  it('answers as the handler says, run in a worker thread', async () => {
    const res = await predict({ tag: 'hello' });
    expect(res.status).toBe(200);
    const body = res.body as { tag: string; batchSize: number; threadId: number };
    expect(body).toMatchObject({ tag: 'hello', batchSize: 1 });
    expect(body.threadId).toBeGreaterThan(0);
    expect(ran()).toContain('hello');
  });

  it('streaming: chunked transfer, every chunk in order, not all at once', async () => {
    const res = await fetch(`${server.inferenceUrl}/predictions/scripted`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ stream: 5, chunkDelay: 100 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    expect(res.headers.get('content-length')).toBeNull();
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const reads: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      reads.push(decoder.decode(value, { stream: true }));
    }
    expect(reads.join('')).toBe('chunk-0\nchunk-1\nchunk-2\nchunk-3\nchunk-4\n');
    // 100 ms between chunks: they reach the client as they are produced, not in one piece.
    expect(reads.length).toBeGreaterThanOrEqual(2);
  });

  it('a throwing handler: 503 "Prediction failed"; the same worker keeps serving', async () => {
    const before = (await predict({ tag: 'before-throw' })).body as { threadId: number };
    const res = await predict({ throw: 'boom' });
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ code: 503, type: 'InternalServerException', message: 'Prediction failed' });
    const after = await predict({ tag: 'after-throw' });
    expect(after.status).toBe(200);
    expect((after.body as { threadId: number }).threadId).toBe(before.threadId);
  });

  it('past responseTimeout (2 s): 500 "Worker died."; the worker is replaced and the next request succeeds', async () => {
    const before = (await predict({ tag: 'before-timeout' })).body as { threadId: number };
    const started = Date.now();
    const res = await predict({ sleep: 10_000, tag: 'sleeper' });
    const waited = Date.now() - started;
    expect(res.status).toBe(500);
    expect(res.body).toEqual(workerDied);
    expect(waited).toBeGreaterThanOrEqual(1_900);
    expect(waited).toBeLessThan(8_000);
    const after = await predict({ tag: 'after-timeout' });
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ tag: 'after-timeout' });
    expect((after.body as { threadId: number }).threadId).not.toBe(before.threadId);
  });

  it('process.exit inside the handler ends only its thread: 500 "Worker died.", then recovery', async () => {
    const before = (await predict({ tag: 'before-exit' })).body as { threadId: number };
    const res = await predict({ exit: 3, tag: 'exiter' });
    expect(res.status).toBe(500);
    expect(res.body).toEqual(workerDied);
    const after = await predict({ tag: 'after-exit' });
    expect(after.status).toBe(200);
    expect((after.body as { threadId: number }).threadId).not.toBe(before.threadId);
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.inferenceUrl}/ping`)).status).toBe(200);
  });

  it(`queue full (job_queue_size=${QUEUE_SIZE}, worker busy): 503 with TorchServe's body; queued requests still answered`, async () => {
    const busy = predict({ sleep: 1_000, tag: 'busy' });
    await waitRan('busy');
    const queued = [predict({ tag: 'q1' }), predict({ tag: 'q2' })];
    await waitUntil(async () => ((await pending()) === QUEUE_SIZE ? true : undefined), 'two queued requests');
    const rejected = await predict({ tag: 'overflow' });
    expect(rejected.status).toBe(503);
    expect(rejected.body).toEqual({
      code: 503,
      type: 'ServiceUnavailableException',
      message:
        'Model "scripted" has no worker to serve inference request. Please use scale workers API to add workers. ' +
        'If this is a sequence inference, please check if it is closed, or expired; or exceeds maxSequenceJobQueueSize',
    });
    const answers = await Promise.all([busy, ...queued]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers.map((a) => (a.body as { tag: string }).tag)).toEqual(['busy', 'q1', 'q2']);
    expect(ran()).not.toContain('overflow');
  });

  it('a request whose client disconnects while queued is never run', async () => {
    const busy = predict({ sleep: 800, tag: 'busy-2' });
    await waitRan('busy-2');
    const controller = new AbortController();
    const gone = predict({ tag: 'gone' }, controller.signal).catch((err: Error) => err);
    await waitUntil(async () => ((await pending()) === 1 ? true : undefined), 'the request to be queued');
    controller.abort();
    expect(await gone).toBeInstanceOf(Error);
    const next = predict({ tag: 'after-gone' });
    const answers = await Promise.all([busy, next]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    // FIFO: had "gone" been run, it would have run before "after-gone".
    const runs = ran();
    expect(runs.slice(runs.indexOf('busy-2'))).toEqual(['busy-2', 'after-gone']);
  });
});
