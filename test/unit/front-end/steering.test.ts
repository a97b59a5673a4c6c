/**
 * Who accepts new inference connections (src/front-end/steering.ts): the main thread until it
 * holds the threshold, the front-end threads from then until at most a quarter of it remain
 * open anywhere; `0` always the threads; no thread running always the main thread.
 */
import { describe, expect, it } from 'vitest';
import { idleConnections, nextAcceptor } from '../../../src/front-end/steering.js';

const at = (main: number, threads: number, threshold = 4, running = 2) => ({ main, threads, running, threshold });

describe('nextAcceptor', () => {
  it('the main thread keeps accepting below the threshold and hands over at it', () => {
    expect(nextAcceptor('main', at(0, 0))).toBe('main');
    expect(nextAcceptor('main', at(3, 0))).toBe('main');
    expect(nextAcceptor('main', at(4, 0))).toBe('threads');
    // Connections left on the threads from earlier do not count against the main thread.
    expect(nextAcceptor('main', at(3, 9))).toBe('main');
  });

  it('the threads keep accepting until at most a quarter of the threshold remain open anywhere', () => {
    expect(idleConnections(4)).toBe(1);
    expect(nextAcceptor('threads', at(4, 0))).toBe('threads');
    expect(nextAcceptor('threads', at(2, 0))).toBe('threads');
    expect(nextAcceptor('threads', at(0, 2))).toBe('threads');
    expect(nextAcceptor('threads', at(1, 0))).toBe('main');
    expect(nextAcceptor('threads', at(0, 1))).toBe('main');
    expect(nextAcceptor('threads', at(0, 0))).toBe('main');
    // Larger thresholds leave more room before going back.
    expect(nextAcceptor('threads', at(1, 2, 16))).toBe('main');
    expect(nextAcceptor('threads', at(3, 2, 16))).toBe('threads');
    // 1..3: back only when nothing is open.
    expect(nextAcceptor('threads', at(0, 1, 2))).toBe('threads');
    expect(nextAcceptor('threads', at(0, 0, 2))).toBe('main');
  });

  it('threshold 0: always the threads; no thread running: always the main thread', () => {
    expect(nextAcceptor('main', at(0, 0, 0))).toBe('threads');
    expect(nextAcceptor('threads', at(0, 0, 0))).toBe('threads');
    expect(nextAcceptor('threads', at(9, 9, 4, 0))).toBe('main');
    expect(nextAcceptor('threads', at(9, 9, 0, 0))).toBe('main');
  });
});
