/**
 * A worker thread posts its answers together at the end of its event-loop turn (one message for
 * several pipelined batches, full bodies packed). Nothing a handler already answered may be lost
 * or reordered by that: answers given before the thread dies still arrive, and a pipelined mix of
 * plain, per-request-error and streamed answers settles each request with its own answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Job } from '../../../src/batching/job.js';
import type { WorkerThread } from '../../../src/workers/worker-thread.js';
import { bodyJson, bodyText, jsonRequest, startControlledThread } from './pool-harness.js';

let thread: WorkerThread | undefined;
afterEach(async () => {
  await thread?.terminate();
  thread = undefined;
});


describe('worker thread answers posted together', () => {
  it('answers given in the same turn as a thread exit still arrive; only the batch that exited fails', async () => {
    thread = startControlledThread();
    await thread.load();
    // The first batch keeps the thread busy, so the next three are sent together and run in one turn.
    const busy = new Job({ request: jsonRequest({ sleep: 150 }) });
    const before = [new Job({ request: jsonRequest({ n: 1 }) }), new Job({ request: jsonRequest({ n: 2 }) })];
    const exiting = new Job({ request: jsonRequest({ exit: 3 }) });
    const runs = [thread.run([busy]), ...before.map((j) => thread!.run([j])), thread.run([exiting])].map((p) => p.catch((e: unknown) => e));
    await Promise.all(runs);
    expect((await bodyJson(await busy.result)).body).toEqual({ sleep: 150 });
    for (const [i, job] of before.entries()) expect((await bodyJson(await job.result)).body).toEqual({ n: i + 1 });
    await expect(exiting.result).rejects.toMatchObject({ message: 'Worker died.' });
    expect(thread.alive).toBe(false);
  });

  it('a pipelined mix of plain, failed, status-setting and streamed answers reaches each request in order', async () => {
    thread = startControlledThread();
    await thread.load();
    const busy = new Job({ request: jsonRequest({ sleep: 100 }) });
    const plain = new Job({ request: jsonRequest({ n: 1 }) });
    const failed = new Job({ request: jsonRequest({ failOne: 'not this one' }) });
    const streamed = new Job({ request: jsonRequest({ stream: 3 }) });
    const typed = new Job({ request: jsonRequest({ setStatus: 201, contentType: 'text/x-test', header: 'h' }) });
    const jobs = [busy, plain, failed, streamed, typed];
    await Promise.all(jobs.map((j) => thread!.run([j]).catch(() => undefined)));
    expect((await bodyJson(await plain.result)).body).toEqual({ n: 1 });
    await expect(failed.result).rejects.toMatchObject({ message: 'not this one', status: 422 });
    expect(await bodyText(await streamed.result)).toBe('chunk0 chunk1 chunk2 ');
    const t = await typed.result;
    expect({ status: t.status, contentType: t.contentType, header: t.headers['x-test'] }).toEqual({ status: 201, contentType: 'text/x-test', header: 'h' });
    expect(thread.alive).toBe(true);
  });

  it('answers the packed layout cannot hold (status beyond 16 bits, a number as header value) arrive unchanged', async () => {
    thread = startControlledThread();
    await thread.load();
    const odd = new Job({ request: jsonRequest({ setStatus: 70_000, header: 5 }) });
    const plain = new Job({ request: jsonRequest({ n: 1 }) });
    await Promise.all([odd, plain].map((j) => thread!.run([j])));
    const r = await odd.result;
    expect({ status: r.status, header: r.headers['x-test'] }).toEqual({ status: 70_000, header: 5 });
    expect((await bodyJson(await plain.result)).body).toEqual({ n: 1 });
  });

  it('request payloads of every size reach the handler intact, packed or transferred', async () => {
    thread = startControlledThread();
    await thread.load();
    const sizes = [0, 10, 64 * 1024 - 100, 64 * 1024 + 10, 300_000];
    const jobs = sizes.map((n) => new Job({ request: jsonRequest({ pad: 'x'.repeat(n) }) }));
    const busy = new Job({ request: jsonRequest({ sleep: 50 }) });
    await Promise.all([busy, ...jobs].map((j) => thread!.run([j])));
    for (const [i, job] of jobs.entries()) expect(((await bodyJson(await job.result)).body as { pad: string }).pad.length).toBe(sizes[i]);
  });

  it('a thread stuck in a handler fails only that batch: answers lost with it are re-queued, not failed', async () => {
    const orphans: Job[] = [];
    thread = startControlledThread({ responseTimeoutMs: 400, onOrphans: (jobs) => orphans.push(...jobs) });
    await thread.load();
    const busy = new Job({ request: jsonRequest({ sleep: 100 }) });
    const answered = [new Job({ request: jsonRequest({ n: 1 }) }), new Job({ request: jsonRequest({ n: 2 }) })];
    const stuck = new Job({ request: jsonRequest({ spin: 3000 }) });
    const notReached = new Job({ request: jsonRequest({ n: 3 }) });
    const runs = [busy, ...answered, stuck, notReached].map((j) => thread!.run([j]).catch((e: unknown) => e));
    await Promise.all(runs);
    expect((await bodyJson(await busy.result)).body).toEqual({ sleep: 100 });
    await expect(stuck.result).rejects.toMatchObject({ message: 'Worker died.' });
    // Their handler calls ended in the stuck turn: their answers never left the thread.
    expect(orphans).toEqual([...answered, notReached]);
    expect(orphans.every((j) => j.pending)).toBe(true);
  });
});
