/**
 * Stopping workers (scale-down, scale to 0, pool close) while requests stream, run or wait:
 * every request must settle, none may hang.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../src/batching/job.js';
import { makePool, sleep, until, type Harness } from './pool-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Reads `job`'s answer to the end; resolves with how it ended. */
async function outcome(job: Job): Promise<string> {
  try {
    const r = await job.result;
    if (!r.stream) return `status ${r.status}`;
    let n = 0;
    for await (const _ of r.stream) n++;
    return `stream ended after ${n}`;
  } catch (err) {
    return `failed: ${(err as Error).constructor.name}`;
  }
}

/** Settles within `ms` or says it did not. */
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'hung'> => Promise.race([p, sleep(ms).then(() => 'hung' as const)]);

describe('stopping workers with requests in flight', () => {
  it('fails a stream that is mid-way when its worker is scaled down', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(2, true);
    const job = h.submit({ stream: 50, chunkDelay: 100 });
    const ended = outcome(job);
    await until(() => h!.pool.stats().some((s) => s.state === 'BUSY'));
    await sleep(250);
    const busy = h.pool.stats().findIndex((s) => s.state === 'BUSY');
    await h.pool.scale(busy, true);
    expect(await within(ended, 2000)).toBe('failed: WorkerDiedError');
    expect(job.done).toBe(true);
  });

  it('fails a stream that is mid-way when the pool closes', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(1, true);
    const ended = outcome(h.submit({ stream: 50, chunkDelay: 100 }));
    await until(() => h!.pool.busyCount() === 1);
    await sleep(250);
    await h.pool.close();
    expect(await within(ended, 2000)).toBe('failed: WorkerDiedError');
  });

  it('answers running and queued requests with 503 when the model is scaled to 0 workers', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(1, true);
    const running = outcome(h.submit({ sleep: 500 }));
    await until(() => h!.pool.busyCount() === 1);
    const queued = outcome(h.submit({}));
    await h.pool.scale(0, true);
    expect(await within(Promise.all([running, queued]), 2000)).toEqual(['failed: QueueFullError', 'failed: QueueFullError']);
    expect(h.queue.pending).toBe(0);
  });
});
