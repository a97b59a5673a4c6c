import { describe, expect, it } from 'vitest';
import { fibonacciBackoffSeconds, withinRecoveryWindow } from '../../../src/workers/backoff.js';

describe('Fibonacci back-off', () => {
  it('follows TorchServe BACK_OFF: 1, 1, 2, 3, 5, … capped at 1597', () => {
    expect(Array.from({ length: 18 }, (_, i) => fibonacciBackoffSeconds(i + 1))).toEqual([
      1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1597, 1597,
    ]);
    expect(fibonacciBackoffSeconds(100)).toBe(1597);
    expect(fibonacciBackoffSeconds(0)).toBe(0);
  });

  it.each([
    [0, 299_999, 300, true],
    [0, 300_000, 300, false],
    [1000, 1000, 0, false],
  ])('first failure at %i, now %i, window %i s → %s', (first, now, window, expected) => {
    expect(withinRecoveryWindow(first, now, window)).toBe(expected);
  });
});
