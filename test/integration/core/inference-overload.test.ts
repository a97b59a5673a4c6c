/**
 * Overload through the serving core: requests refused with 503 (queue full) must leave nothing
 * behind on the caller's abort signal, which one gRPC StreamPredictions2 call shares across all
 * of its requests.
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { QueueFullError } from '../../../src/errors/index.js';
import { jsonRequest, sleep } from './pool-harness.js';
import { makeCore, type CoreHarness } from './core-harness.js';

let h: CoreHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('serving core under overload', () => {
  it('refuses requests past jobQueueSize without leaving abort listeners on the shared signal', async () => {
    h = await makeCore({ jobQueueSize: 1 });
    await h.addModel('ctl', { handler: 'controlled.js' });
    await h.core.management.register({ url: 'ctl', synchronous: true, initialWorkers: 1 });
    const running = h.core.inference.predict('ctl', undefined, jsonRequest({ sleep: 300 }));
    await untilQueued(h, 0);
    const queued = h.core.inference.predict('ctl', undefined, jsonRequest({}));
    const call = new AbortController();
    const refused = await Promise.allSettled(
      Array.from({ length: 20 }, () => h!.core.inference.predict('ctl', undefined, jsonRequest({}), { signal: call.signal })),
    );
    expect(refused.every((r) => r.status === 'rejected' && r.reason instanceof QueueFullError)).toBe(true);
    expect(getEventListeners(call.signal, 'abort')).toHaveLength(0);
    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
  });
});

/** Wait until `n` jobs wait in ctl's queue (describe's jobQueueStatus), i.e. the worker took the rest. */
async function untilQueued(harness: CoreHarness, n: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const [d] = await harness.core.management.describe('ctl', undefined, false);
    if ((d as { jobQueueStatus: { pendingRequests: number } }).jobQueueStatus.pendingRequests === n) return;
    await sleep(10);
  }
  throw new Error('queue never reached ' + n);
}
