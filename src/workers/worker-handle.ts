/**
 * One worker slot of a model's pool: owns the current `WorkerThread`, pulls batches from the
 * model's `BatchQueue` while it is READY, and replaces its thread when it dies.
 *
 * States: STARTING (thread loading) → READY (idle, waiting for a batch) ⇄ BUSY (batch in
 * flight) → on death or timeout BACKOFF → STARTING …; STOPPING → STOPPED on scale-down or
 * unregister; FAILED when the failures of one streak outlast the recovery window
 * (`maxRetryTimeoutInSec`), after which the slot stays dead and the model counts it unhealthy.
 *
 * Restart policy (§9.4): before the n-th consecutive restart the slot waits Fibonacci(n) ×
 * `backoffUnitMs` (1 s in production); a successful load resets the streak and the window.
 * A handler that throws fails only its batch: the thread keeps serving.
 *
 * Pipelining: with `batchSize` 1 and a handler whose last batch took under
 * `PIPELINE_MAX_HANDLER_MS`, the slot asks the queue for the next job while the current one
 * runs and sends it at once, so the thread finds it waiting instead of sleeping until the main
 * thread wakes it (a thread wake-up costs more than a cheap handler); the faster the handler,
 * the more jobs ahead (`PIPELINE_AHEAD_MS`), posted together per event-loop turn. Such a job is taken only
 * when no idle worker wants it; once sent, it runs even if its client goes away (the answer
 * is dropped), and it is re-queued if the thread dies before reaching it. Nothing is sent ahead
 * while a response of the thread is still streaming (it would wait for the stream's end).
 */
import { WorkerDiedError } from '../errors/index.js';
import type { BatchQueue } from '../batching/batch-queue.js';
import type { Job } from '../batching/job.js';
import type { ModelSignature } from '../inference/types.js';
import type { HandlerLogger, ModelSettings } from '../handlers/handler.js';
import type { ModelMetrics } from '../metrics/metrics-api.js';
import { fibonacciBackoffSeconds, withinRecoveryWindow } from './backoff.js';
import { MAX_BATCHES_IN_FLIGHT, WorkerThread, type WorkerThreadOptions } from './worker-thread.js';

/** Slower handlers gain nothing from pipelining, and a job sent ahead would wait behind them. */
export const PIPELINE_MAX_HANDLER_MS = 5;
/**
 * Work (handler ms) a slot may queue ahead in its thread: a handler of `h` ms gets
 * `PIPELINE_AHEAD_MS / h` single-request batches in flight (at least 2, at most
 * `MAX_BATCHES_IN_FLIGHT`); those of one event-loop turn are posted together, so the thread
 * wakes once for several.
 */
export const PIPELINE_AHEAD_MS = 2;

export type WorkerStatus = 'STARTING' | 'READY' | 'BUSY' | 'BACKOFF' | 'STOPPING' | 'STOPPED' | 'FAILED';

export interface WorkerHandleOptions {
  /** Position in the pool (scale-down removes the highest). Also the handler's `deviceId`. */
  index: number;
  /** TorchServe shows the worker's port; we show a port-like number unique in the process. */
  id: string;
  /** `W-<id>-<model>_<version>`, for logs and WorkerLoadTime. */
  name: string;
  queue: BatchQueue;
  settings: ModelSettings;
  thread: Omit<WorkerThreadOptions, 'startupTimeoutMs' | 'responseTimeoutMs'>;
  backoffUnitMs: number;
  log: HandlerLogger;
  metrics?: ModelMetrics;
  /** Called once if the slot gives up (recovery window spent). */
  onFailed?(handle: WorkerHandle): void;
}

export class WorkerHandle {
  readonly index: number;
  readonly id: string;
  readonly name: string;
  status: WorkerStatus = 'STARTING';
  startTime = new Date();
  lastError: Error | undefined;
  /** Settles with the outcome of the first load attempt (synchronous register/scale wait on it). */
  readonly firstLoad: Promise<void>;
  private thread: WorkerThread | undefined;
  private readonly options: WorkerHandleOptions;
  private readonly stopper = new AbortController();
  private failures = 0;
  private firstFailureAt: number | undefined;
  private settleFirst: ((err?: Error) => void) | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(options: WorkerHandleOptions) {
    this.options = options;
    this.index = options.index;
    this.id = options.id;
    this.name = options.name;
    this.firstLoad = new Promise<void>((resolve, reject) => {
      this.settleFirst = (err) => {
        this.settleFirst = undefined;
        if (err) reject(err);
        else resolve();
      };
    });
    this.firstLoad.catch(() => {});
  }

  start(): void {
    this.loop = this.run().catch((err: unknown) => {
      this.options.log.error(`${this.name}: worker loop failed: ${String(err)}`);
      this.status = 'FAILED';
    });
  }

  get threadId(): number | undefined {
    return this.thread?.threadId;
  }

  get signature(): ModelSignature | undefined {
    return this.thread?.signature;
  }

  /** Counts toward `minWorkers` for /ping: not FAILED and not stopped. */
  get healthy(): boolean {
    return this.status !== 'FAILED' && this.status !== 'STOPPED' && this.status !== 'STOPPING';
  }

  get busy(): boolean {
    return this.status === 'BUSY';
  }

  /** Customized describe on this worker's handler. */
  describe(headers: Record<string, string>): Promise<unknown> {
    const t = this.thread;
    if (t === undefined || (this.status !== 'READY' && this.status !== 'BUSY')) {
      return Promise.reject(new WorkerDiedError('worker is not ready'));
    }
    return t.describe(headers);
  }

  /**
   * Stop the slot. An idle thread finalizes (bounded by `finalizeTimeoutMs`) then terminates; a
   * busy one is terminated at once and the unanswered jobs of its batch are returned so the
   * pool can put them back at the head of the queue.
   */
  async stop(finalizeTimeoutMs: number): Promise<Job[]> {
    if (this.status === 'STOPPED') return [];
    this.status = 'STOPPING';
    this.stopper.abort(new Error('worker stopping'));
    this.settleFirst?.(new Error('worker stopped before it loaded'));
    const t = this.thread;
    const requeue: Job[] = [];
    if (t !== undefined && t.busy) {
      for (const job of t.detachInFlight()) {
        if (job.payloadTransferred) job.reject(new WorkerDiedError('worker scaled down'));
        else requeue.push(job);
      }
      await t.terminate('worker scaled down');
    } else if (t !== undefined && t.alive) {
      await t.unload(finalizeTimeoutMs);
      await t.terminate('worker stopped');
    }
    await this.loop;
    this.status = 'STOPPED';
    return requeue;
  }

  private get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  private async run(): Promise<void> {
    const { settings } = this.options;
    while (!this.stopped) {
      this.status = 'STARTING';
      this.startTime = new Date();
      const thread = new WorkerThread({
        ...this.options.thread,
        onOrphans: (jobs) => this.options.queue.requeue(jobs),
        startupTimeoutMs: settings.startupTimeout * 1000,
        responseTimeoutMs: settings.responseTimeout * 1000,
      });
      this.thread = thread;
      const loadStarted = performance.now();
      try {
        await thread.load();
      } catch (err) {
        await thread.terminate('load failed');
        if (this.stopped) break;
        this.lastError = err instanceof Error ? err : new Error(String(err));
        this.options.log.error(`${this.name}: load failed: ${this.lastError.message}`);
        this.settleFirst?.(this.lastError);
        if (!(await this.backoff())) return;
        continue;
      }
      if (this.stopped) break;
      this.options.metrics?.workerLoaded(this.name, performance.now() - loadStarted);
      this.failures = 0;
      this.firstFailureAt = undefined;
      this.lastError = undefined;
      this.status = 'READY';
      this.settleFirst?.();
      await this.serve(thread);
      if (this.stopped) break;
      await thread.terminate();
      if (!(await this.backoff())) return;
    }
  }

  /** Pull and run batches until the thread dies or the slot stops (one ahead when pipelining). */
  private async serve(thread: WorkerThread): Promise<void> {
    const { queue, settings } = this.options;
    const deadOrStopped = new AbortController();
    const onStop = (): void => deadOrStopped.abort(new Error('stopping'));
    this.stopper.signal.addEventListener('abort', onStop, { once: true });
    void thread.exited.then((reason) => deadOrStopped.abort(reason));
    const behind = (): boolean => thread.busy;
    let slotFree: (() => void) | undefined;
    let failed = false;
    const send = (batch: Job[]): void => {
      this.status = 'BUSY';
      thread.dispatch(batch, settled);
    };
    /** A complete batch already queued goes out now, while the thread has room for it (no await). */
    const sendReady = (): boolean => {
      if (this.stopped || !thread.alive || failed || thread.streaming || thread.batchesInFlight >= this.depth(thread)) return false;
      const batch = queue.takeReady(settings.batchSize, settings.maxBatchDelay, thread.busy ? { behind } : {});
      if (batch === undefined) return false;
      send(batch);
      return true;
    };
    const onSettled = (): void => {
      if (!this.stopped && !thread.busy && thread.alive) this.status = 'READY';
      if (slotFree === undefined) return;
      // The loop waits for room in the pipeline: refill it from here while batches are ready,
      // and wake the loop only when none is (it then waits for the queue).
      while (sendReady());
      if (!this.stopped && thread.alive && !failed && thread.batchesInFlight >= this.depth(thread)) return;
      const wake = slotFree;
      slotFree = undefined;
      wake();
    };
    const onFailed = (err: unknown): void => {
      if (!failed) {
        failed = true;
        this.lastError = err instanceof Error ? err : new Error(String(err));
        this.options.log.error(`${this.name}: ${(err as WorkerDiedError).reason ?? this.lastError.message}`);
      }
      const wake = slotFree;
      slotFree = undefined;
      if (!this.stopped && !thread.busy && thread.alive) this.status = 'READY';
      wake?.();
    };
    const settled = (err?: unknown): void => (err === undefined ? onSettled() : onFailed(err));
    try {
      while (!this.stopped && thread.alive && !failed) {
        if (thread.batchesInFlight >= this.depth(thread)) {
          await new Promise<void>((r) => (slotFree = r));
          continue;
        }
        let batch: Job[] | undefined = queue.takeReady(settings.batchSize, settings.maxBatchDelay, thread.busy ? { behind } : {});
        try {
          batch ??= await queue.nextBatch(settings.batchSize, settings.maxBatchDelay, deadOrStopped.signal, thread.busy ? { behind } : {});
        } catch (err) {
          if (!this.stopped && thread.alive) this.options.log.warn(`${this.name}: queue closed: ${String(err)}`);
          if (queue.closed) this.stopper.abort(err);
          return;
        }
        if (!thread.alive || this.stopped) {
          queue.requeue(batch); // taken in the instant the thread died: another worker runs it
          break;
        }
        if (thread.busy && thread.streaming) {
          // Asked ahead, but the batch running turned out to stream: the job would wait for the
          // whole stream. Leave it to another worker (or to this one once the stream ends).
          queue.requeue(batch);
          await new Promise<void>((r) => (slotFree = r));
          continue;
        }
        send(batch);
      }
      if (failed) return;
      if (!thread.alive && !this.stopped) {
        const reason = await thread.exited;
        this.lastError = reason;
        this.options.log.error(`${this.name}: ${reason.reason}`);
      }
    } finally {
      this.stopper.signal.removeEventListener('abort', onStop);
    }
  }

  /** Batches this slot keeps in flight on `thread`: more for cheap single-request batches, else 1 (always while it streams). */
  private depth(thread: WorkerThread): number {
    const last = thread.lastHandlerMs;
    if (this.options.settings.batchSize !== 1 || last === undefined || last >= PIPELINE_MAX_HANDLER_MS || thread.streaming) return 1;
    return Math.min(MAX_BATCHES_IN_FLIGHT, Math.max(2, Math.floor(PIPELINE_AHEAD_MS / last)));
  }

  /** Wait before the next restart; false when the recovery window is spent or the slot stopped. */
  private async backoff(): Promise<boolean> {
    const now = Date.now();
    this.firstFailureAt ??= now;
    this.failures++;
    if (!withinRecoveryWindow(this.firstFailureAt, now, this.options.settings.maxRetryTimeoutInSec)) {
      this.status = 'FAILED';
      this.options.log.error(`${this.name}: giving up after ${this.failures} failures (recovery window spent)`);
      this.options.onFailed?.(this);
      return false;
    }
    this.status = 'BACKOFF';
    const delay = fibonacciBackoffSeconds(this.failures) * this.options.backoffUnitMs;
    this.options.log.warn(`${this.name}: restarting in ${delay} ms (attempt ${this.failures})`);
    const signal = this.stopper.signal;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, delay);
      signal.addEventListener('abort', done, { once: true });
    });
    return !this.stopped;
  }
}
