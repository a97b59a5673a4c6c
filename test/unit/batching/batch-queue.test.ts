import { describe, expect, it } from 'vitest';
import { BatchQueue } from '../../../src/batching/batch-queue.js';
import { Job } from '../../../src/batching/job.js';
import { CancelledError, QueueFullError } from '../../../src/errors/index.js';

const job = (id: string, signal?: AbortSignal, deadline?: number): Job =>
  new Job({ request: { requestId: id, headers: {}, parameters: [] }, ...(signal ? { signal } : {}), ...(deadline !== undefined ? { deadline } : {}) });
const ids = (jobs: Job[]): string[] => jobs.map((j) => j.id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('BatchQueue', () => {
  it('next batch takes what is queued, up to maxSize, without waiting when full', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    for (const id of ['a', 'b', 'c']) q.enqueue(job(id));
    const t0 = performance.now();
    expect(ids(await q.nextBatch(2, 10_000))).toEqual(['a', 'b']);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(q.pending).toBe(1);
  });

  it('waits without limit for the first job, then at most maxDelay for more', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    const batch = q.nextBatch(4, 80);
    await sleep(150); // idle time before the first job does not count
    const t0 = performance.now();
    q.enqueue(job('a'));
    await sleep(20);
    q.enqueue(job('b'));
    expect(ids(await batch)).toEqual(['a', 'b']);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(75);
    expect(waited).toBeLessThan(400);
  });

  it('maxDelay 0 sends a batch of whatever is there at once', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    const batch = q.nextBatch(4, 0);
    q.enqueue(job('a'));
    expect(ids(await batch)).toEqual(['a']);
  });

  it('resolves as soon as the batch is full', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    const batch = q.nextBatch(2, 10_000);
    q.enqueue(job('a'));
    q.enqueue(job('b'));
    expect(ids(await batch)).toEqual(['a', 'b']);
  });

  it('throws QueueFullError at capacity, reclaiming slots of cancelled jobs first', () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 2 });
    const ac = new AbortController();
    q.enqueue(job('a', ac.signal));
    q.enqueue(job('b'));
    expect(() => q.enqueue(job('c'))).toThrow(QueueFullError);
    ac.abort();
    q.enqueue(job('d'));
    expect(q.pending).toBe(2);
    expect(q.remainingCapacity).toBe(0);
  });

  it('skips aborted and expired jobs', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    const ac = new AbortController();
    const aborted = job('a', ac.signal);
    const expired = job('b', undefined, performance.now() + 5);
    q.enqueue(aborted);
    q.enqueue(expired);
    q.enqueue(job('c'));
    ac.abort();
    await sleep(20);
    expect(ids(await q.nextBatch(3, 0))).toEqual(['c']);
    await expect(aborted.result).rejects.toBeInstanceOf(CancelledError);
    await expect(expired.result).rejects.toBeInstanceOf(CancelledError);
  });

  it('a batch whose jobs were all cancelled while filling keeps waiting', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    const ac = new AbortController();
    const batch = q.nextBatch(4, 30);
    q.enqueue(job('a', ac.signal));
    ac.abort();
    await sleep(60);
    q.enqueue(job('b'));
    expect(ids(await batch)).toEqual(['b']);
  });

  it('requeue puts jobs back at the head in order and feeds waiters', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    q.enqueue(job('c'));
    q.requeue([job('a'), job('b')]);
    expect(ids(await q.nextBatch(3, 0))).toEqual(['a', 'b', 'c']);
    const waiting = q.nextBatch(1, 0);
    q.requeue([job('x')]);
    expect(ids(await waiting)).toEqual(['x']);
  });

  it('a withdrawn nextBatch returns its partial batch to the queue', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    const ac = new AbortController();
    const batch = q.nextBatch(4, 10_000, ac.signal);
    q.enqueue(job('a'));
    ac.abort(new Error('stop'));
    await expect(batch).rejects.toThrow('stop');
    expect(ids(await q.nextBatch(4, 0))).toEqual(['a']);
  });

  it('close rejects waiters and queued jobs', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    const waiting = q.nextBatch(1, 0);
    const closedErr = new Error('closed');
    q.close(closedErr);
    await expect(waiting).rejects.toBe(closedErr);
    const q2 = new BatchQueue({ modelName: 'm', capacity: 10 });
    const j = job('a');
    q2.enqueue(j);
    q2.close(closedErr);
    await expect(j.result).rejects.toBe(closedErr);
    expect(() => q2.enqueue(job('b'))).toThrow();
  });
  it('a waiter that is behind (its worker still busy) gets a job only when no other waiter wants it', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 10 });
    let busy = true;
    const ahead = q.nextBatch(1, 0, undefined, { behind: () => busy });
    const idle = q.nextBatch(1, 0);
    q.enqueue(job('a'));
    expect(ids(await idle)).toEqual(['a']);
    q.enqueue(job('b')); // nobody else waits now: the waiter that asked ahead takes it
    expect(ids(await ahead)).toEqual(['b']);
    const ahead2 = q.nextBatch(1, 0, undefined, { behind: () => busy });
    busy = false; // its worker finished meanwhile: an ordinary waiter again, first in line
    const other = q.nextBatch(1, 0);
    q.enqueue(job('c'));
    expect(ids(await ahead2)).toEqual(['c']);
    q.enqueue(job('d'));
    expect(ids(await other)).toEqual(['d']);
  });

  it('a job taken by a waiter that is behind counts as pending (and against capacity) until it starts or settles', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 2 });
    const ahead = q.nextBatch(1, 0, undefined, { behind: () => true });
    const a = job('a');
    q.enqueue(a);
    expect(ids(await ahead)).toEqual(['a']);
    q.enqueue(job('b'));
    expect(q.pending).toBe(2);
    expect(() => q.enqueue(job('c'))).toThrow(QueueFullError);
    a.markStarted();
    expect(q.pending).toBe(1);
    const ac = new AbortController();
    const ahead2 = q.nextBatch(1, 0, undefined, { behind: () => true });
    expect(ids(await ahead2)).toEqual(['b']);
    const d = job('d', ac.signal);
    const ahead3 = q.nextBatch(1, 0, undefined, { behind: () => true });
    q.enqueue(d);
    expect(ids(await ahead3)).toEqual(['d']);
    expect(q.pending).toBe(2);
    ac.abort();
    expect(q.pending).toBe(1);
  });

  it('a full queue is full for a waiter that is behind too (QueueFullError), but an idle waiter still takes the job', async () => {
    const q = new BatchQueue({ modelName: 'm', capacity: 2 });
    for (const id of ['a', 'b']) {
      const ahead = q.nextBatch(1, 0, undefined, { behind: () => true });
      q.enqueue(job(id));
      expect(ids(await ahead)).toHaveLength(1);
    }
    expect(q.pending).toBe(2);
    let third: Job[] | undefined;
    void q.nextBatch(1, 0, undefined, { behind: () => true }).then((b) => (third = b));
    expect(() => q.enqueue(job('c'))).toThrow(QueueFullError);
    const idle = q.nextBatch(1, 0);
    q.enqueue(job('d'));
    expect(ids(await idle)).toEqual(['d']);
    await Promise.resolve();
    expect(third).toBeUndefined();
  });

  describe('takeReady (a complete batch now, or nothing)', () => {
    it('takes a full batch of queued jobs in order, and nothing while fewer than maxSize wait', () => {
      const q = new BatchQueue({ modelName: 'm', capacity: 10 });
      q.enqueue(job('a'));
      expect(q.takeReady(2, 50)).toBeUndefined();
      expect(q.pending).toBe(1);
      q.enqueue(job('b'));
      q.enqueue(job('c'));
      expect(ids(q.takeReady(2, 50)!)).toEqual(['a', 'b']);
      expect(ids(q.takeReady(1, 50)!)).toEqual(['c']);
      expect(q.takeReady(1, 50)).toBeUndefined();
    });

    it('with no batch delay, one queued job is a complete batch', () => {
      const q = new BatchQueue({ modelName: 'm', capacity: 10 });
      q.enqueue(job('a'));
      expect(ids(q.takeReady(8, 0)!)).toEqual(['a']);
    });

    it('skips cancelled jobs, and leaves the live ones queued when too few are left', () => {
      const q = new BatchQueue({ modelName: 'm', capacity: 10 });
      const gone = new AbortController();
      q.enqueue(job('a', gone.signal));
      q.enqueue(job('b'));
      gone.abort();
      expect(q.takeReady(2, 50)).toBeUndefined();
      expect(q.pending).toBe(1);
      q.enqueue(job('c'));
      expect(ids(q.takeReady(2, 50)!)).toEqual(['b', 'c']);
    });

    it('never takes a job an earlier waiter is entitled to', async () => {
      const q = new BatchQueue({ modelName: 'm', capacity: 10 });
      const waiting = q.nextBatch(2, 10_000);
      q.enqueue(job('a'));
      expect(q.takeReady(1, 0)).toBeUndefined();
      q.enqueue(job('b'));
      expect(ids(await waiting)).toEqual(['a', 'b']);
    });

    it('a batch taken ahead by a busy worker still counts against capacity until it starts', () => {
      const q = new BatchQueue({ modelName: 'm', capacity: 2 });
      q.enqueue(job('a'));
      q.enqueue(job('b'));
      const [a] = q.takeReady(1, 0, { behind: () => true })!;
      expect(q.pending).toBe(2);
      expect(() => q.enqueue(job('c'))).toThrow(QueueFullError);
      a!.markStarted();
      expect(q.pending).toBe(1);
    });

    it('a closed queue gives nothing', () => {
      const q = new BatchQueue({ modelName: 'm', capacity: 10 });
      q.enqueue(job('a'));
      q.close();
      expect(q.takeReady(1, 0)).toBeUndefined();
    });
  });
});
