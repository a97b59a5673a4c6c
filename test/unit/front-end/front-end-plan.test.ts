/**
 * How many front-end threads serve the inference listener (src/front-end/front-end-plan.ts):
 * `number_of_netty_threads` 1 means the main thread alone, n >= 2 means n threads, 0 means 2
 * threads from 4 processors up (else none); a unix socket keeps inference on the main thread,
 * with a reason to log. (A listener shared with management/metrics is served by the threads too.)
 */
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../../src/config/index.js';
import { planFrontEnds } from '../../../src/front-end/front-end-plan.js';

const inference = parseAddress('inference_address', 'http://127.0.0.1:8080');

describe('planFrontEnds', () => {
  it('1 means no front-end threads (the main thread serves inference), whatever the processors', () => {
    for (const cpus of [1, 8, 64]) expect(planFrontEnds(1, inference, cpus)).toEqual({ threads: 0 });
  });

  it('n >= 2 means n threads, even with few processors', () => {
    expect(planFrontEnds(2, inference, 16)).toEqual({ threads: 2 });
    expect(planFrontEnds(6, inference, 2)).toEqual({ threads: 6 });
    expect(planFrontEnds(12, inference, 64)).toEqual({ threads: 12 });
  });

  it('0 picks by processors: 2 threads from 4 processors up, else none', () => {
    const auto = (cpus: number) => planFrontEnds(0, inference, cpus);
    expect(auto(1)).toEqual({ threads: 0 });
    expect(auto(2)).toEqual({ threads: 0 });
    expect(auto(3)).toEqual({ threads: 0 });
    expect(auto(4)).toEqual({ threads: 2 });
    expect(auto(8)).toEqual({ threads: 2 });
    expect(auto(16)).toEqual({ threads: 2 });
    expect(auto(64)).toEqual({ threads: 2 });
  });

  it('a unix inference address keeps inference on the main thread, with a reason', () => {
    const unix = parseAddress('inference_address', 'unix:/tmp/nserve-inference.sock');
    const plan = planFrontEnds(4, unix, 16);
    expect(plan.threads).toBe(0);
    expect(plan.reason).toMatch(/unix/);
    expect(planFrontEnds(0, unix, 16).threads).toBe(0);
  });
});
