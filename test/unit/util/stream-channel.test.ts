/**
 * The single-consumer async queue behind streamed answers (src/util/stream-channel.ts): what a
 * consumer iterating it sees for pushes before and after it waits, a plain close, a close with
 * an error, and pushes or closes after the channel closed.
 */
import { describe, expect, it } from 'vitest';
import { StreamChannel } from '../../../src/util/stream-channel.js';

async function drain<T>(channel: StreamChannel<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of channel) out.push(item);
  return out;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('StreamChannel', () => {
  it('yields items pushed before iteration, in order, then ends at close', async () => {
    const channel = new StreamChannel<number>();
    channel.push(1);
    channel.push(2);
    channel.push(3);
    channel.close();
    expect(await drain(channel)).toEqual([1, 2, 3]);
  });

  it('wakes a waiting consumer for each push and for close', async () => {
    const channel = new StreamChannel<string>();
    const got = drain(channel);
    await turn();
    channel.push('a');
    await turn();
    channel.push('b');
    channel.push('c');
    await turn();
    channel.close();
    expect(await got).toEqual(['a', 'b', 'c']);
  });

  it('a waiting next() resolves with the pushed item', async () => {
    const channel = new StreamChannel<string>();
    const it = channel[Symbol.asyncIterator]();
    const next = it.next();
    let settled = false;
    void next.then(() => (settled = true));
    await turn();
    expect(settled).toBe(false);
    channel.push('x');
    await expect(next).resolves.toEqual({ value: 'x', done: false });
  });

  it('close(error) delivers the items already pushed, then throws the error', async () => {
    const channel = new StreamChannel<number>();
    channel.push(1);
    channel.push(2);
    const boom = new Error('producer failed');
    channel.close(boom);
    const got: number[] = [];
    await expect((async () => {
      for await (const n of channel) got.push(n);
    })()).rejects.toBe(boom);
    expect(got).toEqual([1, 2]);
  });

  it('close(error) rejects a consumer that is waiting', async () => {
    const channel = new StreamChannel<number>();
    const it = channel[Symbol.asyncIterator]();
    const next = it.next();
    const boom = new Error('gone');
    channel.close(boom);
    await expect(next).rejects.toBe(boom);
    await expect(it.next()).rejects.toBe(boom); // and keeps failing
  });

  it('after close, pushes are dropped and a second close changes nothing', async () => {
    const channel = new StreamChannel<number>();
    channel.push(1);
    channel.close();
    channel.push(2);
    channel.close(new Error('too late'));
    expect(await drain(channel)).toEqual([1]);
    const it = channel[Symbol.asyncIterator]();
    await expect(it.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('after close(error), a later plain close does not turn the error into an end', async () => {
    const channel = new StreamChannel<number>();
    const boom = new Error('first');
    channel.close(boom);
    channel.close();
    await expect(drain(channel)).rejects.toBe(boom);
  });
});
