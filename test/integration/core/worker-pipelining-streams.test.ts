/**
 * Pipelining (sending the next request to a busy thread) must not put requests behind a
 * response that is still streaming: they would wait for the whole stream while other workers idle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { bodyText, makePool, sleep, until, type Harness } from './pool-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('pipelining next to a streamed response', () => {
  it('keeps cheap requests off the streaming worker, so none waits for the stream to end', async () => {
    h = makePool('controlled.js');
    await h.pool.scale(2, true);
    // Cheap answers make both slots pipeline.
    for (let i = 0; i < 10; i++) await Promise.all([h.submit({}).result, h.submit({}).result]);
    const stream = h.submit({ stream: 20, chunkDelay: 100 }); // ~2 s
    const streamed = stream.result.then(bodyText);
    await until(() => h!.pool.busyCount() === 1);
    await sleep(200);
    const latencies: number[] = [];
    const end = performance.now() + 600;
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          expect((await h!.submit({}).result).status).toBe(200);
          latencies.push(performance.now() - t0);
        }
      }),
    );
    expect(Math.max(...latencies)).toBeLessThan(700);
    expect(stream.done).toBe(false); // the stream was still open throughout
    expect((await streamed).split(' ').filter(Boolean)).toHaveLength(20);
  });
});
