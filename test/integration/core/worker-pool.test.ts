import { afterEach, describe, expect, it } from 'vitest';
import { QueueFullError, WorkerDiedError, PredictionError, CancelledError, ServeError } from '../../../src/errors/index.js';
import { bodyJson, bodyText, makePool, sleep, until, type Harness } from './pool-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface Echoed {
  batchSize: number;
  index: number;
  threadId: number;
  body: unknown;
}

describe('worker pool with real worker threads', () => {
  it('serves a request and reports the handler answer as 2-space JSON', async () => {
    h = makePool('controlled.js');
    expect(await h.pool.scale(1, true)).toEqual({ workers: 1, failed: 0 });
    const r = await h.submit({ hello: 'world' }).result;
    expect(r.status).toBe(200);
    expect(r.contentType).toBeUndefined();
    const text = await bodyText(r);
    expect(text).toContain('\n  "batchSize": 1');
    expect(JSON.parse(text).body).toEqual({ hello: 'world' });
  });

  it('forms batches up to batchSize when requests arrive together', async () => {
    h = makePool('controlled.js', { batchSize: 4, maxBatchDelay: 200 });
    await h.pool.scale(1, true);
    const jobs = Array.from({ length: 4 }, (_, i) => h!.submit({ i }));
    const out = await Promise.all(jobs.map(async (j) => bodyJson<Echoed>(await j.result)));
    expect(out.map((o) => o.batchSize)).toEqual([4, 4, 4, 4]);
    expect(out.map((o) => o.index)).toEqual([0, 1, 2, 3]);
  });

  it('sends a partial batch once maxBatchDelay has passed since the first job was taken', async () => {
    h = makePool('controlled.js', { batchSize: 8, maxBatchDelay: 150 });
    await h.pool.scale(1, true);
    const t0 = performance.now();
    const a = h.submit({ a: 1 });
    await sleep(50);
    const b = h.submit({ b: 1 });
    const [ra, rb] = await Promise.all([a.result, b.result]);
    const elapsed = performance.now() - t0;
    expect((await bodyJson<Echoed>(ra)).batchSize).toBe(2);
    expect((await bodyJson<Echoed>(rb)).batchSize).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
  });

  it('runs single requests without waiting when batchSize is 1', async () => {
    h = makePool('controlled.js', { batchSize: 1, maxBatchDelay: 5000 });
    await h.pool.scale(1, true);
    const t0 = performance.now();
    await h.submit({}).result;
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('rejects with QueueFullError once jobQueueSize jobs wait', async () => {
    h = makePool('controlled.js', { jobQueueSize: 2 });
    await h.pool.scale(1, true);
    const busy = h.submit({ sleep: 300 });
    await until(() => h!.pool.busyCount() === 1);
    const queued = [h.submit({}), h.submit({})];
    expect(() => h!.submit({})).toThrow(QueueFullError);
    await busy.result;
    await Promise.all(queued.map((j) => j.result));
  });

  it('fails a timed-out batch with "Worker died." for every request, then replaces the worker', async () => {
    h = makePool('controlled.js', { batchSize: 2, maxBatchDelay: 100, responseTimeout: 0.4 });
    await h.pool.scale(1, true);
    const first = (await bodyJson<Echoed>(await h.submit({}).result)).threadId;
    const jobs = [h.submit({ hang: true }), h.submit({})];
    for (const j of jobs) {
      const err = await j.result.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkerDiedError);
      expect((err as Error).message).toBe('Worker died.');
    }
    const after = await bodyJson<Echoed>(await h.submit({}).result);
    expect(after.threadId).not.toBe(first);
  });

  it('re-arms the response timeout on every streamed chunk', async () => {
    h = makePool('controlled.js', { responseTimeout: 0.3 });
    await h.pool.scale(1, true);
    const r = await h.submit({ stream: 4, chunkDelay: 150 }).result;
    expect(await bodyText(r)).toBe('chunk0 chunk1 chunk2 chunk3 ');
  });

  it('a handler throw fails only its batch and the same thread keeps serving', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(1, true);
    const before = (await bodyJson<Echoed>(await h.submit({}).result)).threadId;
    const err = await h.submit({ throw: 'boom' }).result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServeError);
    expect((err as ServeError).kind).toBe('PREDICTION_FAILED');
    expect((err as Error).message).toBe('Prediction failed');
    const withStatus = await h.submit({ throw: 'teapot', status: 418 }).result.catch((e: unknown) => e);
    expect((withStatus as ServeError).status).toBe(418);
    expect((withStatus as Error).message).toBe('teapot');
    expect((await bodyJson<Echoed>(await h.submit({}).result)).threadId).toBe(before);
  });

  it('reports TorchServe messages for a wrong result count and a non-list result', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(1, true);
    const wrong = await h.submit({ wrongCount: true }).result.catch((e: unknown) => e);
    expect((wrong as Error).message).toBe('number of batch response mismatched');
    expect((wrong as ServeError).kind).toBe('PREDICTION_FAILED');
    const notList = await h.submit({ notArray: true }).result.catch((e: unknown) => e);
    expect((notList as Error).message).toBe('Invalid model predict output');
  });

  it('replaces a thread that exits by itself', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(1, true);
    const before = (await bodyJson<Echoed>(await h.submit({}).result)).threadId;
    const err = await h.submit({ exit: 3 }).result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerDiedError);
    const after = await bodyJson<Echoed>(await h.submit({}).result);
    expect(after.threadId).not.toBe(before);
  });

  it('keeps per-request status, content type and headers; an Error result fails only that request', async () => {
    h = makePool('controlled.js', { batchSize: 2, maxBatchDelay: 200 });
    await h.pool.scale(1, true);
    const ok = h.submit({ setStatus: 599, contentType: 'application/json', header: 'yes' });
    const bad = h.submit({ failOne: 'just me' });
    const r = await ok.result;
    expect(r.status).toBe(599);
    expect(r.contentType).toBe('application/json');
    expect(r.headers['x-test']).toBe('yes');
    const err = await bad.result.catch((e: unknown) => e);
    expect((err as Error).message).toBe('just me');
  });

  it('never runs a job aborted while queued, and settles it', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(1, true);
    const busy = h.submit({ sleep: 200 });
    await until(() => h!.pool.busyCount() === 1);
    const ac = new AbortController();
    const doomed = h.submit({ exit: 1 }, { signal: ac.signal });
    ac.abort();
    await expect(doomed.result).rejects.toBeInstanceOf(CancelledError);
    const next = await bodyJson<Echoed>(await h.submit({}).result);
    const firstThread = (await bodyJson<Echoed>(await busy.result)).threadId;
    expect(next.threadId).toBe(firstThread); // the exit command never ran
  });

  it('explain requests go to handler.explain, separately from predictions of the same batch', async () => {
    h = makePool('controlled.js', { batchSize: 3, maxBatchDelay: 200 });
    await h.pool.scale(1, true);
    const plain = h.submit({ p: 1 });
    const explained = h.submit({ e: 1 }, { explain: true });
    const plain2 = h.submit({ p: 2 });
    expect(await bodyJson(await explained.result)).toEqual({ explained: true, batchSize: 1, body: { e: 1 } });
    expect((await bodyJson<Echoed>(await plain.result)).batchSize).toBe(2);
    expect((await bodyJson<Echoed>(await plain2.result)).index).toBe(1);
  });

  it('streams chunks in order', async () => {
    h = makePool('stream.js');
    await h.pool.scale(1, true);
    const r = await h.submit({}).result;
    expect(r.body).toBeUndefined();
    expect(await bodyText(r)).toBe('hello hello world ');
  });

  it('retries a worker whose startup times out, with back-off, and reports the failure to a synchronous caller', async () => {
    h = makePool('slow-init.js:SlowInit', { startupTimeout: 0.2, modelConfig: { initMs: 5000 } }, { backoffUnitMs: 50 });
    const outcome = await h.pool.scale(1, true);
    expect(outcome.failed).toBe(1);
    expect(outcome.error?.message).toBe('Backend worker did not respond in given time');
    await until(() => h!.logs.filter((l) => l.includes('restarting in')).length >= 3, 5000);
    const restarts = h.logs.filter((l) => l.includes('restarting in'));
    expect(restarts.slice(0, 3).map((l) => /restarting in (\d+) ms/.exec(l)![1])).toEqual(['50', '50', '100']);
    expect(h.pool.healthyCount()).toBe(1); // still inside the recovery window
  });

  it('gives up after the recovery window and the worker counts as unhealthy', async () => {
    h = makePool('fail-init.js', { maxRetryTimeoutInSec: 0.3 }, { backoffUnitMs: 100 });
    const outcome = await h.pool.scale(1, true);
    expect(outcome.error?.message).toBe('cannot load weights');
    await until(() => h!.pool.healthyCount() === 0, 5000);
    expect(h.pool.loadError).toBe('cannot load weights');
  });

  it('scales up and down synchronously; scale-down finalizes idle workers', async () => {
    h = makePool('controlled.js');
    expect((await h.pool.scale(3, true)).workers).toBe(3);
    expect(h.pool.readyCount()).toBe(3);
    const ids = h.pool.stats().map((s) => s.id);
    expect((await h.pool.scale(1, true)).workers).toBe(1);
    expect(h.pool.stats().map((s) => s.id)).toEqual([ids[0]]);
    expect(h.pool.stats()[0]).toMatchObject({ status: 'READY', pid: process.pid });
    await h.submit({}).result;
  });

  it('scale-down puts the jobs of a busy worker back at the head of the queue', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(2, true);
    // Occupy worker 0 so the next job lands on worker 1 (the one scale-down removes).
    const hold = h.submit({ sleep: 600 });
    await until(() => h!.pool.busyCount() === 1);
    const moved = h.submit({ sleep: 300 });
    await until(() => h!.pool.busyCount() === 2);
    await h.pool.scale(1, true);
    const r = await bodyJson<Echoed>(await moved.result);
    const held = await bodyJson<Echoed>(await hold.result);
    expect(r.threadId).toBe(held.threadId);
  });

  it('every request settles when the pool closes', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(1, true);
    const jobs = [h.submit({ sleep: 100 }), h.submit({}), h.submit({})];
    await h.close();
    const outcomes = await Promise.allSettled(jobs.map((j) => j.result));
    expect(outcomes.every((o) => o.status === 'fulfilled' || o.status === 'rejected')).toBe(true);
    h = undefined;
  });

  it('describe runs the handler describe on a ready worker', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(1, true);
    expect(await h.pool.describe({})).toMatchObject({ custom: true, model: 'm' });
  });

  it('fails an oversized response with "Worker died."', async () => {
    h = makePool('controlled.js', {}, { maxResponseSize: 10 });
    await h.pool.scale(1, true);
    await expect(h.submit({ big: 'x'.repeat(100) }).result).rejects.toBeInstanceOf(WorkerDiedError);
  });

  it('PredictionError is what a plain throw becomes', () => {
    expect(new PredictionError().message).toBe('Prediction failed');
  });
  it('with batchSize 1 and a fast handler, the next job goes to the busy thread but counts as queued until it starts', async () => {
    h = makePool('controlled.js', { batchSize: 1 });
    await h.pool.scale(1, true);
    await h.submit({}).result; // a fast batch enables pipelining
    const slow = h.submit({ sleep: 150 });
    await until(() => h!.pool.busyCount() === 1);
    const next = h.submit({ n: 1 }); // handed to the busy thread at once (no idle worker wants it)
    await sleep(50);
    expect(slow.pending).toBe(true);
    expect(next.started).toBe(false); // starts only once the slow job is done
    expect(h.queue.pending).toBe(1); // and counts as waiting until then (job_queue_size, describe)
    const [a, b] = await Promise.all([slow.result, next.result].map(async (r) => bodyJson<Echoed>(await r)));
    expect(b.threadId).toBe(a.threadId);
  });

  it('a job sent ahead is re-queued, not failed, when the thread dies before reaching it', async () => {
    h = makePool('controlled.js', { batchSize: 1, responseTimeout: 0.4 });
    await h.pool.scale(1, true);
    const first = (await bodyJson<Echoed>(await h.submit({}).result)).threadId;
    const hung = h.submit({ hang: true });
    await until(() => h!.pool.busyCount() === 1);
    const behind = h.submit({ n: 2 }); // sent to the hung thread, queued behind the hung job
    await expect(hung.result).rejects.toBeInstanceOf(WorkerDiedError);
    const served = await bodyJson<Echoed>(await behind.result);
    expect(served.threadId).not.toBe(first);
  });

  it('a job waits for an idle worker rather than behind a busy one', async () => {
    h = makePool('controlled.js', { batchSize: 1 });
    await h.pool.scale(2, true);
    for (let i = 0; i < 4; i++) await h.submit({}).result; // both workers may pipeline now
    const slow = h.submit({ sleep: 300 });
    await until(() => h!.pool.busyCount() === 1);
    const t0 = performance.now();
    const quick = await bodyJson<Echoed>(await h.submit({}).result);
    expect(performance.now() - t0).toBeLessThan(250);
    expect(quick.threadId).not.toBe((await bodyJson<Echoed>(await slow.result)).threadId);
  });
  it('a job handed to a busy thread whose client goes away before it starts is never run', async () => {
    h = makePool('controlled.js', { batchSize: 1 });
    await h.pool.scale(1, true);
    const before = (await bodyJson<Echoed>(await h.submit({}).result)).threadId;
    const slow = h.submit({ sleep: 200 });
    await until(() => h!.pool.busyCount() === 1);
    const ac = new AbortController();
    const doomed = h.submit({ exit: 1 }, { signal: ac.signal }); // would kill the thread if run
    await sleep(30); // sent to the thread by now, queued behind the slow job
    ac.abort();
    await expect(doomed.result).rejects.toBeInstanceOf(CancelledError);
    await slow.result;
    expect((await bodyJson<Echoed>(await h.submit({}).result)).threadId).toBe(before);
  });

  it('with a very fast handler, several jobs go ahead to the busy thread together; an abandoned one among them is skipped, the rest answered in order', async () => {
    h = makePool('controlled.js', { batchSize: 1 });
    await h.pool.scale(1, true);
    for (let i = 0; i < 5; i++) await h.submit({}).result; // warm: handler time well under PIPELINE_AHEAD_MS / 5
    const before = (await bodyJson<Echoed>(await h.submit({}).result)).threadId;
    const slow = h.submit({ sleep: 600 });
    await until(() => h!.pool.busyCount() === 1);
    const ac = new AbortController();
    const jobs = [h.submit({ n: 1 }), h.submit({ n: 2 }), h.submit({ exit: 1 }, { signal: ac.signal }), h.submit({ n: 4 }), h.submit({ n: 5 })];
    await sleep(30); // all sent to the thread by now, queued behind the slow job
    expect(jobs.every((j) => !j.started)).toBe(true);
    expect(h.queue.pending).toBe(5);
    ac.abort();
    await expect(jobs[2]!.result).rejects.toBeInstanceOf(CancelledError);
    await h.pool.scale(2, true); // an idle worker now: it finds no job left in the queue to take
    expect(slow.pending).toBe(true);
    await slow.result;
    const served = await Promise.all([0, 1, 3, 4].map(async (i) => bodyJson<Echoed>(await jobs[i]!.result)));
    expect(served.map((e) => e.body)).toEqual([{ n: 1 }, { n: 2 }, { n: 4 }, { n: 5 }]);
    expect(served.every((e) => e.threadId === before)).toBe(true);
  });
});
