/**
 * A batch sent to a worker thread and not finished yet, and how the thread's answers settle its
 * jobs. Pure bookkeeping over `Job`s: no thread, no timer (those stay in `WorkerThread`).
 */
import { WorkerDiedError, fromWire } from '../errors/index.js';
import type { Job, StreamSink } from '../batching/job.js';
import type { WireResponse, WorkerToMain } from './messages.js';

export interface InFlightBatch {
  id: number;
  jobs: Job[];
  sinks: Map<number, StreamSink>;
  openStreams: number;
  /** When the thread could start it: sent, or its predecessor finished (WorkerThreadTime). */
  startedAt: number;
  /** Sent while another batch was in flight, and that one is not done yet. */
  waiting: boolean;
  /** Posted to the thread (false while it waits in the outbox for the end of the turn). */
  sent: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Settle the jobs of `batch` from the thread's `result` message: full bodies resolve (or fail
 * with "Worker died." above `maxResponseSize`), per-request errors reject only their job, streams
 * open a sink and stay open. Returns true when the batch is complete (no stream left open).
 */
export function applyResults(batch: InFlightBatch, responses: WireResponse[], maxResponseSize: number): boolean {
  responses.forEach((r, i) => {
    const job = batch.jobs[i];
    if (job === undefined) return;
    if (r.kind === 'error') job.reject(fromWire(r.error));
    else if (r.kind === 'body') {
      if (r.body.byteLength > maxResponseSize) job.reject(new WorkerDiedError('response larger than max_response_size'));
      else job.resolve(r.contentType === undefined ? { status: r.status, headers: r.headers, body: r.body } : { status: r.status, headers: r.headers, body: r.body, contentType: r.contentType });
    } else {
      batch.openStreams++;
      const head = r.contentType === undefined ? { status: r.status, headers: r.headers } : { status: r.status, headers: r.headers, contentType: r.contentType };
      const sink = job.openStream(head);
      if (sink) batch.sinks.set(i, sink);
    }
  });
  return batch.openStreams === 0;
}

/**
 * Apply a `chunk` or `end` message of a streamed response. Returns true when it closed the last
 * open stream of the batch.
 */
export function applyStreamMessage(
  batch: InFlightBatch,
  m: Extract<WorkerToMain, { type: 'chunk' | 'end' }>,
  maxResponseSize: number,
): boolean {
  const sink = batch.sinks.get(m.index);
  if (m.type === 'chunk') {
    if (m.data.byteLength > maxResponseSize) sink?.fail(new WorkerDiedError('response chunk larger than max_response_size'));
    else sink?.push(m.data);
    return false;
  }
  if (m.error) sink?.fail(fromWire(m.error));
  else sink?.end();
  batch.openStreams--;
  return batch.openStreams === 0;
}

/**
 * The thread of `batches` died: the batch that was running (`culprit`, 0 when no handler call
 * was under way) fails with `reason`; the pending jobs of the others are returned, oldest first,
 * to be re-queued (those never reached, and those answered in the thread's last turn whose
 * answers died with it), unless their payload was transferred away or nobody re-queues.
 */
export function failOnDeath(batches: readonly InFlightBatch[], culprit: number, reason: WorkerDiedError, requeue: boolean): Job[] {
  const orphans: Job[] = [];
  for (const batch of batches) {
    for (const job of batch.jobs) {
      if (batch.id === culprit || job.payloadTransferred || !requeue) job.reject(reason);
      else if (job.pending) orphans.push(job);
    }
    batch.reject(reason);
  }
  return orphans;
}
