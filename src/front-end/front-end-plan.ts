/**
 * How many front-end threads serve the inference listener (`number_of_netty_threads`). Pure.
 *
 * - `0` (the default, as in TorchServe, where it means "one per processor"): a quarter of the
 *   processors, at most 4; below 4 processors that is none, and the main thread serves
 *   inference itself (its event loop is never the limit there: the CPUs are).
 * - `n > 0`: n threads.
 * - None, whatever the setting, when the inference address is a unix socket or shares its
 *   listener with the management or metrics API (one listener serves those on the main thread).
 */
import { sameListener, type Address } from '../config/index.js';

export interface FrontEndPlan {
  threads: number;
  /** Why there are none although they were asked for. */
  reason?: string;
}

export const MAX_AUTO_THREADS = 4;

export function planFrontEnds(configured: number, inference: Address, others: readonly (Address | undefined)[], cpus: number): FrontEndPlan {
  const wanted = configured > 0 ? configured : Math.min(MAX_AUTO_THREADS, Math.floor(cpus / 4));
  if (wanted === 0) return { threads: 0 };
  if (inference.scheme === 'unix') return { threads: 0, reason: 'the inference address is a unix socket' };
  if (others.some((a) => a !== undefined && sameListener(a, inference))) {
    return { threads: 0, reason: 'the inference address is shared with the management or metrics API' };
  }
  return { threads: wanted };
}
