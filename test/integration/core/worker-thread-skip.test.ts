/**
 * A real WorkerThread skips a batch queued behind another whose requests all went away, even
 * while other work (describe calls) goes on between the batches it pipelines.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Job } from '../../../src/batching/job.js';
import type { WorkerThread } from '../../../src/workers/worker-thread.js';
import { jsonRequest, startControlledThread } from './pool-harness.js';

let thread: WorkerThread | undefined;
afterEach(async () => {
  await thread?.terminate();
  thread = undefined;
});


describe('worker thread skip of abandoned pipelined batches', () => {
  it('never runs abandoned batches queued behind the running one, with describe calls in between', async () => {
    thread = startControlledThread();
    await thread.load();
    const t0 = performance.now();
    const first = new Job({ request: jsonRequest({ sleep: 300 }) });
    const running = thread.run([first]);
    const gone = [new AbortController(), new AbortController()];
    const abandoned = [thread.run([new Job({ request: jsonRequest({ sleep: 1000 }), signal: gone[0]!.signal })])];
    const describes = Array.from({ length: 15 }, () => thread!.describe({}));
    abandoned.push(thread.run([new Job({ request: jsonRequest({ sleep: 1000 }), signal: gone[1]!.signal })]));
    const last = new Job({ request: jsonRequest({}) });
    const after = thread.run([last]);
    await new Promise((r) => setTimeout(r, 50));
    for (const c of gone) c.abort();
    await Promise.all([running, ...abandoned, after, ...describes]);
    expect((await last.result).status).toBe(200);
    // Neither 1 s batch ran: only the first request's 300 ms stood before the last answer.
    expect(performance.now() - t0).toBeLessThan(900);
  });
});
