import { describe, expect, it } from 'vitest';
import { ProgressThrottle } from '../../../src/archive/progress.js';

describe('ProgressThrottle', () => {
  it('reports every 5 % of the total', () => {
    let now = 0;
    const t = new ProgressThrottle({ total: 1000, now: () => now });
    const reported = [];
    for (let b = 10; b <= 1000; b += 10) {
      now += 1;
      const p = t.update(b);
      if (p !== undefined) reported.push(p);
    }
    expect(reported).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100]);
  });

  it('reports every 2 s when progress is slow, and never without progress', () => {
    let now = 0;
    const t = new ProgressThrottle({ total: 1_000_000, now: () => now });
    now = 1999;
    expect(t.update(1)).toBeUndefined();
    now = 2000;
    expect(t.update(2)).toBe(0);
    now = 9000;
    expect(t.update(2)).toBeUndefined();
    expect(t.update(3)).toBe(0);
  });
});
