import { describe, expect, it } from 'vitest';
import { FixedQueue } from '../../../src/batching/fixed-queue.js';

describe('FixedQueue', () => {
  it('is FIFO across growth and wrap-around', () => {
    const q = new FixedQueue<number>(2);
    for (let i = 0; i < 5; i++) q.push(i);
    expect(q.shift()).toBe(0);
    expect(q.shift()).toBe(1);
    for (let i = 5; i < 12; i++) q.push(i);
    expect([...q]).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(q.length).toBe(10);
    expect(q.drain()).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(q.shift()).toBeUndefined();
    expect(q.isEmpty()).toBe(true);
  });

  it('unshift puts items at the head, even when full', () => {
    const q = new FixedQueue<string>(2);
    q.push('b');
    q.push('c');
    q.unshift('a');
    expect(q.peek()).toBe('a');
    expect([...q]).toEqual(['a', 'b', 'c']);
  });

  it('retain keeps order and drops the rest', () => {
    const q = new FixedQueue<number>(4);
    for (let i = 0; i < 7; i++) q.push(i);
    q.shift();
    q.retain((n) => n % 2 === 0);
    expect([...q]).toEqual([2, 4, 6]);
    q.push(8);
    expect(q.length).toBe(4);
  });
});
