/**
 * How many front-end threads serve the inference listener, from `number_of_netty_threads`
 * (TorchServe: the Netty event-loop threads that serve HTTP). Pure.
 *
 * The setting counts the event loops that serve inference requests:
 * - `1`: the main thread's own event loop alone (no front-end threads): the lowest latency at
 *   low load (no extra thread hop), one loop's throughput;
 * - `n >= 2`: n front-end threads beside the main thread, which keeps management, metrics, gRPC,
 *   the queues and the workers' hand-off; new connections reach the threads only under load
 *   (steering.ts, `main_thread_connections`): about 1.3x the requests per second of one loop on
 *   a 16-CPU host, while few connections keep the main thread's latency (README, Performance);
 * - `0` (default; in TorchServe "one per processor"): 2 front-end threads where 4 or more
 *   processors are available (the two, the main thread and a worker each get one), else the
 *   main thread alone. More than 2 is measured no better on 4 CPUs; set it where more CPUs
 *   and connections are.
 * The main thread serves inference itself, whatever the setting, when the inference address is
 * a unix socket. When the inference address is also the management (and/or metrics) address,
 * as in KServe's sample config, the front-end threads serve that whole listener: management,
 * `/token` and `/metrics` calls go to the main thread by name.
 */
import type { Address } from '../config/index.js';

export interface FrontEndPlan {
  /** Front-end threads to start; 0: the main thread serves inference. */
  threads: number;
  /** Why there are none although they were asked for. */
  reason?: string;
}

/** Front-end threads chosen by `0`, from 4 processors up. */
export const AUTO_THREADS = 2;

export function planFrontEnds(configured: number, inference: Address, cpus: number): FrontEndPlan {
  const loops = configured > 0 ? configured : cpus < 4 ? 1 : AUTO_THREADS;
  if (loops <= 1) return { threads: 0 };
  if (inference.scheme === 'unix') return { threads: 0, reason: 'the inference address is a unix socket' };
  return { threads: loops };
}
