/**
 * Waiting for another thread by watching a shared counter (src/util/spin-wait.ts): `spinWhile`
 * returns true soon after a real worker thread bumps the signal and false once its budget ran
 * out with nobody bumping; `spinBudgetUs` takes NSERVE_SPIN_US when it is a number, else picks
 * by the processors.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { bump, createSignal, signalValue, spinBudgetUs, spinWhile } from '../../../src/util/spin-wait.js';

/** Bumps `workerData.signal` (index 0) once, `workerData.afterMs` after it was told to go. */
const BUMPER = `
const { parentPort, workerData } = require('node:worker_threads');
parentPort.once('message', () => {
  setTimeout(() => Atomics.add(workerData.signal, 0, 1), workerData.afterMs);
});
parentPort.postMessage('ready');
`;

describe('signal', () => {
  it('starts at 0 and counts bumps, as seen from any thread', () => {
    const signal = createSignal();
    expect(signal.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(signalValue(signal)).toBe(0);
    bump(signal);
    bump(signal);
    expect(signalValue(signal)).toBe(2);
  });
});

describe('spinWhile', () => {
  it('returns true soon after another thread bumps the signal', async () => {
    const signal = createSignal();
    const worker = new Worker(BUMPER, { eval: true, workerData: { signal, afterMs: 5 } });
    try {
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
      const seen = signalValue(signal);
      worker.postMessage('go');
      const started = performance.now();
      // A budget of 5 s: the bump, not the budget, ends the spin.
      expect(spinWhile(signal, seen, 5_000_000)).toBe(true);
      const ms = performance.now() - started;
      expect(ms).toBeGreaterThanOrEqual(4); // it did wait for the bump
      expect(ms).toBeLessThan(1000);
      expect(signalValue(signal)).toBe(seen + 1);
    } finally {
      await worker.terminate();
    }
  });

  it('returns true at once when the signal already moved past what was seen', () => {
    const signal = createSignal();
    const seen = signalValue(signal);
    bump(signal);
    const started = performance.now();
    expect(spinWhile(signal, seen, 5_000_000)).toBe(true);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('returns false after its budget when nobody bumps', () => {
    const signal = createSignal();
    const started = performance.now();
    expect(spinWhile(signal, signalValue(signal), 20_000)).toBe(false); // 20 ms
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThanOrEqual(19.9);
    expect(ms).toBeLessThan(1000);
    expect(spinWhile(signal, signalValue(signal), 0)).toBe(false);
  });
});

describe('spinBudgetUs', () => {
  it('takes NSERVE_SPIN_US when set to a number, 0 turning spinning off', () => {
    expect(spinBudgetUs({ NSERVE_SPIN_US: '0' }, 16)).toBe(0);
    expect(spinBudgetUs({ NSERVE_SPIN_US: '50' }, 16)).toBe(50);
    expect(spinBudgetUs({ NSERVE_SPIN_US: '500' }, 2)).toBe(500);
    expect(spinBudgetUs({ NSERVE_SPIN_US: ' 75 ' }, 2)).toBe(75);
  });

  it('ignores a value that is not a plain number and falls back to the default', () => {
    for (const raw of ['', ' ', 'abc', '-5', '1.5', '1e3', '100us', '0x10', '1234567']) {
      expect(spinBudgetUs({ NSERVE_SPIN_US: raw }, 16)).toBe(spinBudgetUs({}, 16));
      expect(spinBudgetUs({ NSERVE_SPIN_US: raw }, 2)).toBe(0);
    }
  });

  it('defaults by processors: spinning where a spare one exists (4 or more), none below', () => {
    expect(spinBudgetUs({}, 1)).toBe(0);
    expect(spinBudgetUs({}, 3)).toBe(0);
    expect(spinBudgetUs({}, 4)).toBe(200);
    expect(spinBudgetUs({}, 64)).toBe(200);
    expect(spinBudgetUs({ OTHER: '5' }, 8)).toBe(200);
  });
});
