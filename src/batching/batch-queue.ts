/**
 * The bounded FIFO job queue of one model version, shared by all its workers (TorchServe's
 * per-model data queue, §9.1 of the spec).
 *
 * - `enqueue(job)` admits a job or throws `QueueFullError` once `capacity` live jobs wait.
 * - `nextBatch(maxSize, maxDelayMs)` waits (without limit) for a first job, then keeps
 *   collecting until the batch holds `maxSize` jobs or `maxDelayMs` have passed **since the first
 *   job was taken** (not since it arrived), whichever comes first. One timer per batch.
 * - `requeue(jobs)` puts jobs back at the head (scale-down took them off a worker).
 * - `close(err)` rejects every waiting `nextBatch` and every queued job with `err`.
 *
 * Jobs that were aborted or expired while queued are skipped when a batch is formed (and their
 * slots are reclaimed when the queue looks full), so they never reach a handler.
 *
 * Waiters are served in arrival order and a waiter keeps its place while it fills its batch:
 * under load the worker that already holds a partial batch gets the next job, so batches fill
 * instead of being spread thinly over idle workers. A waiter that is `behind` (its worker still
 * has a batch running: it asks ahead so the thread need not sleep between batches) gets a job
 * only while no other waiter can take it, so an idle worker is always served first. Such a job
 * still counts as pending (capacity, `pending`) until its batch starts (`Job.markStarted`).
 *
 * The queue owns its state: nothing outside reads or mutates its internals.
 */
import { QueueFullError, ServiceUnavailableError } from '../errors/index.js';
import { FixedQueue } from './fixed-queue.js';
import type { Job } from './job.js';

export interface BatchQueueOptions {
  modelName: string;
  /** `job_queue_size` / model-config `jobQueueSize`. */
  capacity: number;
}

export interface NextBatchOptions {
  /** True while the caller's worker is still busy: serve other waiters first. */
  behind?: () => boolean;
}

interface Waiter {
  batch: Job[];
  behind: (() => boolean) | undefined;
  maxSize: number;
  maxDelayMs: number;
  timer: NodeJS.Timeout | undefined;
  resolve(batch: Job[]): void;
  reject(err: unknown): void;
}

export class BatchQueue {
  readonly capacity: number;
  private readonly modelName: string;
  private readonly jobs = new FixedQueue<Job>();
  /** Jobs handed to a waiter that was behind, until they start or settle (at most one per worker). */
  private readonly ahead = new Set<Job>();
  private waiters: Waiter[] = [];
  private closedWith: unknown;

  constructor(options: BatchQueueOptions) {
    this.modelName = options.modelName;
    this.capacity = Math.max(1, options.capacity);
  }

  /** Jobs waiting in the queue (aborted ones may be counted until a batch skips them). */
  get pending(): number {
    return this.jobs.length + this.aheadCount();
  }

  get remainingCapacity(): number {
    return Math.max(0, this.capacity - this.pending);
  }

  get closed(): boolean {
    return this.closedWith !== undefined;
  }

  enqueue(job: Job): void {
    if (this.closedWith !== undefined) throw new ServiceUnavailableError(`Model ${this.modelName} is being unloaded`);
    if (!job.isLive()) return; // already cancelled: nothing to run, the job has settled
    if (this.pending >= this.capacity) {
      this.jobs.retain((j) => j.isLive());
      // Full: only an idle worker may still take it (a job sent ahead to a busy one counts as queued).
      if (this.pending >= this.capacity) {
        if (this.deliver(job, true)) return;
        throw new QueueFullError(this.modelName);
      }
    }
    if (this.deliver(job)) return;
    this.jobs.push(job);
  }

  /** Put jobs back at the head, in their original order (ignores capacity). */
  requeue(jobs: Job[]): void {
    for (let i = jobs.length - 1; i >= 0; i--) {
      const job = jobs[i]!;
      this.ahead.delete(job);
      if (!job.isLive()) continue;
      if (this.closedWith !== undefined) {
        job.reject(this.closedWith);
        continue;
      }
      this.jobs.unshift(job);
    }
    // Hand the re-queued jobs to anyone already waiting.
    while (this.waiters.length > 0 && !this.jobs.isEmpty()) {
      const job = this.jobs.shift()!;
      if (job.isLive() && !this.deliver(job)) {
        this.jobs.unshift(job);
        break;
      }
    }
  }

  /**
   * `signal` withdraws the request (a worker stopping or found dead): the promise rejects with
   * the signal's reason and jobs already collected go back to the head of the queue.
   */
  nextBatch(maxSize: number, maxDelayMs: number, signal?: AbortSignal, options: NextBatchOptions = {}): Promise<Job[]> {
    if (this.closedWith !== undefined) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Job[]>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i < 0) return;
        this.waiters.splice(i, 1);
        if (waiter.timer !== undefined) clearTimeout(waiter.timer);
        const taken = waiter.batch;
        waiter.batch = [];
        this.requeue(taken);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        batch: [],
        behind: options.behind,
        maxSize: Math.max(1, maxSize),
        maxDelayMs,
        timer: undefined,
        resolve: (b) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(b);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      while (waiter.batch.length < waiter.maxSize) {
        const job = this.takeLive();
        if (job === undefined) break;
        waiter.batch.push(job);
        if (waiter.behind?.() === true) this.ahead.add(job);
      }
      if (this.isComplete(waiter)) {
        waiter.resolve(waiter.batch);
        return;
      }
      if (waiter.batch.length > 0) this.armTimer(waiter);
      this.waiters.push(waiter);
    });
  }

  /**
   * A batch that is complete right now, taken without waiting: `maxSize` live jobs (or, with
   * `maxDelayMs` <= 0, at least one) are queued. Undefined otherwise (then `nextBatch` waits).
   * Queued jobs mean nobody is waiting (a waiter takes every job as it arrives), so taking them
   * here keeps the arrival order of waiters. No promise, timer or listener: the hot path of a
   * worker that keeps up with a stream of requests.
   */
  takeReady(maxSize: number, maxDelayMs: number, options: NextBatchOptions = {}): Job[] | undefined {
    if (this.closedWith !== undefined || this.waiters.length > 0) return undefined;
    const size = Math.max(1, maxSize);
    if (this.jobs.length < (maxDelayMs <= 0 ? 1 : size)) return undefined;
    const batch: Job[] = [];
    while (batch.length < size) {
      const job = this.takeLive();
      if (job === undefined) break;
      batch.push(job);
    }
    if (batch.length === 0) return undefined;
    if (batch.length < size && maxDelayMs > 0) {
      // Expired or aborted jobs thinned it out: put the live ones back and wait as usual.
      for (let i = batch.length - 1; i >= 0; i--) this.jobs.unshift(batch[i]!);
      return undefined;
    }
    if (options.behind?.() === true) for (const job of batch) this.ahead.add(job);
    return batch;
  }

  /** Reject every queued job with `err` (no worker will ever take them); the queue stays open. */
  rejectPending(err: unknown): void {
    for (const job of this.jobs.drain()) job.reject(err);
  }

  /** Reject all waiters and queued jobs; later calls fail with `err`. */
  close(err: unknown = new ServiceUnavailableError(`Model ${this.modelName} is being unloaded`)): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = err;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.timer !== undefined) clearTimeout(w.timer);
      // A partial batch already taken goes back to its jobs' callers as a failure.
      for (const job of w.batch) job.reject(err);
      w.reject(err);
    }
    for (const job of this.jobs.drain()) job.reject(err);
  }

  private aheadCount(): number {
    for (const job of this.ahead) if (job.started || !job.pending) this.ahead.delete(job);
    return this.ahead.size;
  }

  private takeLive(): Job | undefined {
    for (let job = this.jobs.shift(); job !== undefined; job = this.jobs.shift()) {
      if (job.isLive()) return job;
    }
    return undefined;
  }

  /**
   * Give `job` to the first waiter that is not behind (else, unless `idleOnly`, the first); false
   * when nobody (suitable) waits.
   */
  private deliver(job: Job, idleOnly = false): boolean {
    let waiter = this.waiters[0];
    if (waiter === undefined) return false;
    if (waiter.behind?.() === true) {
      const idle = this.waiters.find((w) => w.behind?.() !== true);
      if (idle === undefined && idleOnly) return false;
      waiter = idle ?? waiter;
    }
    waiter.batch.push(job);
    if (waiter.behind?.() === true) this.ahead.add(job);
    if (this.isComplete(waiter)) this.complete(waiter);
    else if (waiter.batch.length === 1) this.armTimer(waiter);
    return true;
  }

  private isComplete(w: Waiter): boolean {
    return w.batch.length >= w.maxSize || (w.batch.length > 0 && w.maxDelayMs <= 0);
  }

  private armTimer(w: Waiter): void {
    w.timer = setTimeout(() => this.complete(w), w.maxDelayMs);
  }

  private complete(w: Waiter): void {
    if (w.timer !== undefined) clearTimeout(w.timer);
    w.timer = undefined;
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
    // Jobs aborted while the batch was filling are dropped here (their result already settled).
    const live = w.batch.filter((j) => j.isLive());
    if (live.length === 0) {
      // Everything was cancelled: keep waiting for real work.
      w.batch = [];
      this.waiters.unshift(w);
      return;
    }
    w.resolve(live);
  }
}
