/**
 * Who accepts new inference connections when front-end threads exist: the main thread alone
 * (`'main'`), or the front-end threads (`'threads'`). Pure.
 *
 * A request served on the main thread crosses one thread hop (to its worker and back); one
 * served by a front-end thread crosses two more (to the main thread's queue and back), which
 * costs about 45 µs at one connection on a 16-core VM (README, Performance). A front-end thread only
 * pays off once one event loop's HTTP work is the bottleneck, that is with many busy
 * connections. So:
 *
 * - the main thread accepts until it holds `threshold` open connections
 *   (`main_thread_connections`, default 4); then the front-end threads take new connections;
 * - they do until at most `idle` connections remain open across all loops (a quarter of the
 *   threshold, rounded down); then the main thread accepts again (front-end-threads.ts waits
 *   for the count to stay that low for a quarter second first). The gap between the two marks
 *   keeps a steady connection count from switching back and forth;
 * - `threshold = 0`: the front-end threads take every connection (as with no main-thread
 *   serving at all); with no front-end thread running, the main thread accepts.
 *
 * A switch decides where new connections go. Connections stay where they were accepted, except
 * that while the threads accept, the main thread's answers ask their clients to reconnect
 * (`connection: close`), so the main thread is left with the queues and the hand-offs.
 */
export type Acceptor = 'main' | 'threads';

/** Back to the main thread at or below this many open connections. */
export function idleConnections(threshold: number): number {
  return Math.floor(threshold / 4);
}

export interface SteeringInput {
  /** Open connections on the main thread's inference listener. */
  main: number;
  /** Open connections on the front-end threads (each counted up to `idle + 1` is enough). */
  threads: number;
  /** Front-end threads running. */
  running: number;
  threshold: number;
}

export function nextAcceptor(current: Acceptor, input: SteeringInput): Acceptor {
  if (input.running === 0) return 'main';
  if (input.threshold === 0) return 'threads';
  if (current === 'main') return input.main >= input.threshold ? 'threads' : 'main';
  return input.main + input.threads <= idleConnections(input.threshold) ? 'main' : 'threads';
}
