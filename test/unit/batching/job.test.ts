import { describe, expect, it } from 'vitest';
import { Job } from '../../../src/batching/job.js';
import { CancelledError } from '../../../src/errors/index.js';
import type { ModelMetrics } from '../../../src/metrics/metrics-api.js';

const req = { requestId: 'r1', headers: {}, parameters: [] };

describe('Job', () => {
  it('settles once: later resolve/reject are ignored', async () => {
    const j = new Job({ request: req });
    expect(j.resolve({ status: 200, headers: {}, body: new Uint8Array([1]) })).toBe(true);
    expect(j.reject(new Error('late'))).toBe(false);
    expect(j.resolve({ status: 500, headers: {} })).toBe(false);
    expect((await j.result).status).toBe(200);
    expect(j.done).toBe(true);
  });

  it('an abort rejects a pending job with CancelledError at once', async () => {
    const ac = new AbortController();
    const j = new Job({ request: req, signal: ac.signal });
    ac.abort();
    await expect(j.result).rejects.toBeInstanceOf(CancelledError);
    expect(j.isLive()).toBe(false);
    expect(new Job({ request: req, signal: AbortSignal.abort() }).isLive()).toBe(false);
  });

  it('onCancel: the cancel function rejects a pending job with CancelledError; after the answer it changes nothing', async () => {
    let cancel: (() => void) | undefined;
    const j = new Job({ request: req, onCancel: (c) => (cancel = c) });
    expect(j.isLive()).toBe(true);
    cancel!();
    await expect(j.result).rejects.toBeInstanceOf(CancelledError);
    expect(j.isLive()).toBe(false);
    let late: (() => void) | undefined;
    const answered = new Job({ request: req, onCancel: (c) => (late = c) });
    answered.resolve({ status: 200, headers: {}, body: new Uint8Array([7]) });
    late!();
    expect((await answered.result).body).toEqual(new Uint8Array([7]));
  });

  it('streams chunks in order, then ends; latency is recorded at the end', async () => {
    const seen: string[] = [];
    const metrics = { queued: () => seen.push('queued'), completed: () => seen.push('completed') } as unknown as ModelMetrics;
    const j = new Job({ request: req, metrics });
    j.markStarted();
    const sink = j.openStream({ status: 201, headers: { a: 'b' }, contentType: 'text/plain' })!;
    const result = await j.result;
    expect([result.status, result.contentType, result.headers]).toEqual([201, 'text/plain', { a: 'b' }]);
    sink.push(new TextEncoder().encode('x'));
    setTimeout(() => {
      sink.push(new TextEncoder().encode('y'));
      expect(seen).toEqual(['queued']);
      sink.end();
    }, 10);
    let text = '';
    for await (const c of result.stream!) text += new TextDecoder().decode(c);
    expect(text).toBe('xy');
    expect(seen).toEqual(['queued', 'completed']);
  });

  it('a failed stream throws from the iterator; reject after openStream fails the stream', async () => {
    const j = new Job({ request: req });
    j.openStream({ status: 200, headers: {} });
    const r = await j.result;
    j.reject(new Error('worker died'));
    const it = r.stream![Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow('worker died');
    expect(j.done).toBe(true);
  });

  it('a consumer that stops reading closes the sink', async () => {
    const j = new Job({ request: req });
    const sink = j.openStream({ status: 200, headers: {} })!;
    const r = await j.result;
    await r.stream![Symbol.asyncIterator]().return!();
    expect(sink.closed).toBe(true);
  });
});
