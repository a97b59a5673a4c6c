/**
 * Requests sent ahead (pipelined) to a busy worker thread with large payloads (>= 64 KiB, the
 * size from which running batches transfer their buffers) must be re-queued, not failed, when
 * that thread dies or is scaled down before reaching them: they never ran.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../../src/batching/job.js';
import { makePool, sleep, until, type Harness } from './pool-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const pad = 'x'.repeat(100_000);

async function status(job: Job): Promise<string> {
  try {
    return `status ${(await job.result).status}`;
  } catch (err) {
    return `failed: ${(err as Error).message}`;
  }
}

/** Cheap answers make the slots pipeline (send the next request while one runs). */
async function warm(harness: Harness, workers: number): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: workers }, () => harness.submit({}).result));
}

describe('large pipelined requests', () => {
  it('are re-queued and served when the thread ahead of them dies', async () => {
    h = makePool('controlled.js', { responseTimeout: 1 });
    await h.pool.scale(1, true);
    await warm(h, 1);
    const hang = status(h.submit({ hang: true }));
    await until(() => h!.pool.busyCount() === 1);
    const big = [1, 2, 3].map((n) => status(h!.submit({ n, pad })));
    expect(await hang).toBe('failed: Worker died.');
    expect(await Promise.all(big)).toEqual(['status 200', 'status 200', 'status 200']);
  });

  it('are re-queued and served when their worker is scaled down', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(2, true);
    await warm(h, 2);
    const slow = [h.submit({ sleep: 300 }), h.submit({ sleep: 300 })].map(status);
    await until(() => h!.pool.busyCount() === 2);
    const big = [1, 2, 3, 4].map((n) => status(h!.submit({ n, pad })));
    await sleep(20);
    await h.pool.scale(1, true);
    expect(await Promise.all(big)).toEqual(['status 200', 'status 200', 'status 200', 'status 200']);
    await Promise.all(slow);
  });
});
