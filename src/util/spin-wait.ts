/**
 * Waiting for another thread without going to sleep. A thread that sleeps in epoll is woken by
 * the kernel when a message arrives, which on a virtual machine costs tens of microseconds per
 * hop (an idle vCPU has to be woken). A thread that expects an answer within microseconds can
 * instead watch a shared counter that the sender bumps after posting, and return to its event
 * loop the moment it changes: the message is then already there.
 */
import { availableParallelism } from 'node:os';

/** A counter in shared memory: the sender `bump`s it after each post. */
export function createSignal(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

export function bump(signal: Int32Array): void {
  Atomics.add(signal, 0, 1);
}

export function signalValue(signal: Int32Array): number {
  return Atomics.load(signal, 0);
}

/** Busy-waits until `signal` is no longer `seen`, for at most `maxUs`; true when it changed. */
export function spinWhile(signal: Int32Array, seen: number, maxUs: number): boolean {
  const until = performance.now() + maxUs / 1000;
  while (Atomics.load(signal, 0) === seen) if (performance.now() >= until) return false;
  return true;
}

/**
 * The longest spin for an expected answer: `NSERVE_SPIN_US` when set (0 turns spinning off,
 * e.g. in a pod whose CPU quota should not pay for it), else 200 µs where a spare CPU exists
 * (4 or more), else 0.
 */
export function spinBudgetUs(env: Readonly<Record<string, string | undefined>> = process.env, cpus = availableParallelism()): number {
  const raw = env.NSERVE_SPIN_US?.trim();
  if (raw !== undefined && /^\d{1,6}$/.test(raw)) return Number(raw);
  return cpus >= 4 ? 200 : 0;
}
