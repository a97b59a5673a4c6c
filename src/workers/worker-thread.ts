/**
 * One `worker_thread` running `worker-entry`: spawn, load under `startupTimeout`, run batches
 * under `responseTimeout`, describe, finalize, terminate. No restart logic here (see
 * `WorkerHandle`): when the thread dies or stops answering, the batch whose handler call was
 * under way fails with `WorkerDiedError` ("Worker died."), the thread is terminated and
 * `exited` resolves.
 *
 * Several batches may be in flight at once (`WorkerHandle` pipelines cheap batches so the thread
 * never sleeps between them): the thread runs them strictly in order, one at a time, and posts
 * its answers together at the end of its event-loop turn. When it dies, a slot shared with it
 * (`running`) names the batch that was running: only that one fails; the others, those it never
 * reached and those answered in its last turn whose answers died with it, go to `onOrphans`
 * (re-queued by the handle; see `failOnDeath`). A batch queued behind another starts (for
 * `Job.markStarted`, QueueTime) when its predecessor is done; if all its jobs settle before that
 * (client gone, deadline), a shared flag tells the thread to skip it, so it never reaches the
 * handler.
 *
 * Batches sent while another is in flight are not posted one by one: those of one event-loop
 * turn go out together in one message at the end of it (batch-messages.ts: packed, payloads
 * copied so they can still be re-queued), so the thread is woken once, not once per batch.
 *
 * Timers: exactly one per thread while batches are in flight, re-armed on every message of any
 * batch (each result or streamed chunk restarts the clock, as TorchServe's per-message read
 * timeout does), so a batch waiting behind another gets the full `responseTimeout` once its
 * predecessor is done.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { InternalServerError, WorkerDiedError, fromWire, type ServeError } from '../errors/index.js';
import type { Job } from '../batching/job.js';
import { applyResults, applyStreamMessage, failOnDeath, type InFlightBatch as Batch } from './in-flight-batch.js';
import type { ModelSignature } from '../inference/types.js';
import type { ModelMetrics } from '../metrics/metrics-api.js';
import type { LoadPayload, LogLevel, MainToWorker, WireRequest, WorkerToMain } from './messages.js';
import { batchPost, queuedBatchesPost, wireRequest, type OutgoingBatch } from './batch-messages.js';
import { PackWriter, forEachPosted } from './wire-pack.js';

export interface WorkerThreadOptions {
  scriptUrl: URL;
  payload: LoadPayload;
  startupTimeoutMs: number;
  responseTimeoutMs: number;
  /** Bytes; a larger response (or stream chunk) fails its request with "Worker died.". */
  maxResponseSize: number;
  resourceLimits?: ResourceLimits;
  metrics?: ModelMetrics;
  onLog?(level: LogLevel, message: string): void;
  /** Pending jobs of the batches that did not fail when the thread died (see `failOnDeath`), oldest first. */
  onOrphans?(jobs: Job[]): void;
}

/** Most batches one thread may have in flight (slots of the shared skip array). */
export const MAX_BATCHES_IN_FLIGHT = 16;

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: NodeJS.Timeout;
}

export class WorkerThread {
  readonly threadId: number;
  /** Resolves (never rejects) with the reason once the thread is gone. */
  readonly exited: Promise<WorkerDiedError>;
  signature: ModelSignature | undefined;
  /**
   * Handler time of the last answered batch (ms); undefined before the first answer and after a
   * streamed one (its handler time covers only the opening of the stream).
   */
  lastHandlerMs: number | undefined;
  private readonly worker: Worker;
  private readonly options: WorkerThreadOptions;
  /** In send order; the thread answers them in that order. */
  private readonly inFlight = new Map<number, Batch>();
  private timer: NodeJS.Timeout | undefined;
  /** Shared with the thread: `skip[id % length] = id` for a waiting batch it must skip (all its jobs settled). */
  private readonly skip = new Int32Array(new SharedArrayBuffer(4 * MAX_BATCHES_IN_FLIGHT));
  /** Shared with the thread: the batch whose handler call is under way (0: none). */
  private readonly running = new Int32Array(new SharedArrayBuffer(4));
  /**
   * Ids of this thread's batches, consecutive: the (at most `MAX_BATCHES_IN_FLIGHT`) batches in
   * flight never share a skip slot. Describe calls count down from -2 (-1 is unload) instead.
   */
  private lastBatchId = 0;
  private lastCallId = -1;
  /** Batches to post together at the end of this event-loop turn (see `flush`). */
  private outbox: { batch: Batch; requests: WireRequest[] }[] = [];
  /** Scratch for packing batches (wire-pack.ts). */
  private readonly packer = new PackWriter();
  private flushScheduled = false;
  private loadWait: Pending | undefined;
  private readonly calls = new Map<number, Pending>();
  private unloadWait: Pending | undefined;
  private death: WorkerDiedError | undefined;
  private resolveExited!: (e: WorkerDiedError) => void;

  constructor(options: WorkerThreadOptions) {
    this.options = options;
    this.exited = new Promise((r) => (this.resolveExited = r));
    const init: ConstructorParameters<typeof Worker>[1] = { stdout: false, stderr: false };
    if (options.resourceLimits !== undefined) init.resourceLimits = options.resourceLimits;
    this.worker = new Worker(options.scriptUrl, init);
    this.threadId = this.worker.threadId;
    this.worker.on('message', (m: WorkerToMain) => this.onMessage(m));
    this.worker.on('error', (err: Error & { code?: string }) => {
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.die(new WorkerDiedError(`worker thread crashed: ${err.message}`, oom ? { status: 507, cause: err } : { cause: err }));
    });
    this.worker.on('exit', (code) => this.die(new WorkerDiedError(`worker thread exited with code ${code}`)));
  }

  get alive(): boolean {
    return this.death === undefined;
  }

  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** A response of a batch in flight is still streaming (whatever is sent now waits for its end). */
  get streaming(): boolean {
    for (const b of this.inFlight.values()) if (b.openStreams > 0) return true;
    return false;
  }

  /** Batches sent and not finished yet. */
  get batchesInFlight(): number {
    return this.inFlight.size;
  }

  /** Load the model; rejects with the handler's error or a startup timeout (thread then terminated). */
  load(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.death) return reject(this.death);
      const timer = setTimeout(() => {
        const err = new InternalServerError('Backend worker did not respond in given time');
        this.loadWait = undefined;
        reject(err);
        void this.terminate();
      }, this.options.startupTimeoutMs);
      this.loadWait = { resolve: () => resolve(), reject, timer };
      this.send({ type: 'load', payload: this.options.payload, skip: this.skip, running: this.running });
    });
  }

  /**
   * Run one batch. Resolves when every job of it is done (streams included). If the thread dies
   * or times out meanwhile, the jobs are rejected with `WorkerDiedError` and this rejects too.
   * May be called while other batches are in flight: this one runs after them.
   */
  run(jobs: Job[]): Promise<void> {
    return new Promise<void>((resolve, reject) => this.dispatch(jobs, (err) => (err === undefined ? resolve() : reject(err))));
  }

  /**
   * `run` with a callback instead of a promise (the pool's hot path): `done` is called once,
   * never synchronously, with nothing when every job of the batch is done, or with the error
   * that failed them.
   */
  dispatch(jobs: Job[], done: (err?: unknown) => void): void {
    const live = jobs.filter((j) => j.isLive());
    if (live.length === 0) {
      queueMicrotask(() => done());
      return;
    }
    const death = this.death;
    if (death) {
      for (const j of live) j.reject(death);
      queueMicrotask(() => done(death));
      return;
    }
    const id = ++this.lastBatchId;
    const waiting = this.inFlight.size > 0;
    const batch: Batch = { id, jobs: live, sinks: new Map(), openStreams: 0, startedAt: performance.now(), waiting, sent: false, resolve: () => done(), reject: (err) => done(err) };
    if (!waiting) this.armTimer();
    this.inFlight.set(id, batch);
    for (const job of live) {
      if (waiting) job.onDone(() => this.skipIfAbandoned(batch));
      else job.markStarted();
    }
    const requests = live.map(wireRequest);
    if (!waiting) {
      batch.sent = true;
      const post = batchPost(this.packer, { batchId: id, requests });
      if (post.transferred) for (const job of live) job.payloadTransferred = true;
      this.send(post.message, post.transfer);
      return;
    }
    // Queued behind another: posted with the others of this event-loop turn (see `flush`).
    this.outbox.push({ batch, requests });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Post the batches of the outbox still in flight, in order, in one message. */
  private readonly flush = (): void => {
    this.flushScheduled = false;
    const items = this.outbox;
    this.outbox = [];
    if (this.death) return;
    const batches: OutgoingBatch[] = [];
    for (const item of items) {
      if (!this.inFlight.has(item.batch.id)) continue; // detached meanwhile
      item.batch.sent = true;
      batches.push({ batchId: item.batch.id, requests: item.requests });
    }
    if (batches.length === 0) return;
    const post = queuedBatchesPost(this.packer, batches);
    this.send(post.message, post.transfer);
  };

  /** Customized describe (TorchServe's describe_handle). */
  describe(headers: Record<string, string>): Promise<unknown> {
    if (this.death) return Promise.reject(this.death);
    const id = --this.lastCallId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.calls.delete(id);
        reject(new WorkerDiedError('describe timed out'));
      }, this.options.responseTimeoutMs);
      this.calls.set(id, { resolve, reject, timer });
      this.send({ type: 'describe', batchId: id, headers });
    });
  }

  /** Ask the handler to finalize, waiting at most `timeoutMs`; never rejects. */
  unload(timeoutMs: number): Promise<void> {
    if (this.death) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.unloadWait = undefined;
        resolve();
      }, timeoutMs);
      this.unloadWait = { resolve: () => resolve(), reject: () => resolve(), timer };
      this.send({ type: 'unload' });
    });
  }

  /**
   * Take the jobs of the batches in flight away from this thread (scale-down): jobs not yet
   * answered are returned, oldest first, for re-queueing and will not be failed when the thread
   * dies; responses still streaming are failed with `WorkerDiedError` (their stream errors).
   */
  detachInFlight(): Job[] {
    const batches = [...this.inFlight.values()];
    this.inFlight.clear();
    this.outbox = [];
    this.clearTimer();
    const pending: Job[] = [];
    for (const batch of batches) {
      batch.resolve();
      for (const j of batch.jobs) {
        if (j.pending) pending.push(j);
        else if (!j.done) j.reject(new WorkerDiedError('worker scaled down')); // mid-stream: fail the stream
      }
    }
    return pending;
  }

  async terminate(reason = 'worker terminated'): Promise<void> {
    if (!this.death) this.die(new WorkerDiedError(reason));
    await this.worker.terminate().catch(() => 0);
  }

  private send(msg: MainToWorker, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }

  /** (Re)starts the thread's response clock; the thread dies if it stays silent that long. */
  private armTimer(): void {
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        if (this.inFlight.size > 0) void this.terminate('response timeout');
      }, this.options.responseTimeoutMs);
    } else this.timer.refresh();
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private finishBatch(batch: Batch): void {
    if (this.inFlight.delete(batch.id)) {
      const next = this.inFlight.values().next().value;
      if (next === undefined) this.clearTimer();
      else if (next.waiting) {
        next.waiting = false;
        next.startedAt = performance.now();
        for (const job of next.jobs) if (job.pending) job.markStarted();
      }
    }
    batch.resolve();
  }

  /** A waiting batch whose jobs all settled (client gone): the thread skips it. */
  private skipIfAbandoned(batch: Batch): void {
    if (batch.waiting && this.inFlight.has(batch.id) && batch.jobs.every((j) => j.done)) Atomics.store(this.skip, batch.id % this.skip.length, batch.id);
  }

  private onMessage(m: WorkerToMain): void {
    switch (m.type) {
      case 'many':
      case 'packed':
        forEachPosted(m, (inner) => this.onMessage(inner));
        return;
      case 'log':
        this.options.onLog?.(m.level, m.message);
        return;
      case 'metric':
        this.options.metrics?.custom(m.name, m.value, m.unit, m.dimensions);
        return;
      case 'loaded':
      case 'load-error': {
        const wait = this.loadWait;
        if (wait === undefined) return;
        this.loadWait = undefined;
        clearTimeout(wait.timer);
        if (m.type === 'loaded') {
          this.signature = m.signature;
          wait.resolve(undefined);
        } else wait.reject(fromWire(m.error));
        return;
      }
      case 'described':
      case 'unloaded':
        this.settleCall(m.type === 'described' ? m.batchId : -1, m.type === 'described' ? m.metadata : undefined);
        return;
      default:
        this.onBatchMessage(m);
    }
  }

  private settleCall(id: number, value: unknown, error?: ServeError): void {
    const wait = id === -1 ? this.unloadWait : this.calls.get(id);
    if (wait === undefined) return;
    if (id === -1) this.unloadWait = undefined;
    else this.calls.delete(id);
    clearTimeout(wait.timer);
    if (error) wait.reject(error);
    else wait.resolve(value);
  }

  private onBatchMessage(m: Extract<WorkerToMain, { batchId: number }>): void {
    const batch = this.inFlight.get(m.batchId);
    if (batch === undefined) {
      if (m.type === 'error') this.settleCall(m.batchId, undefined, fromWire(m.error));
      return; // a late answer for a batch already failed or detached
    }
    this.armTimer();
    if (m.type === 'skipped') {
      this.finishBatch(batch);
      return;
    }
    if (m.type === 'error') {
      const err = fromWire(m.error);
      for (const job of batch.jobs) job.reject(err);
      this.finishBatch(batch);
      return;
    }
    if (m.type === 'result') {
      const total = performance.now() - batch.startedAt;
      this.lastHandlerMs = m.responses.some((r) => r.kind === 'stream') ? undefined : m.handlerMs;
      this.options.metrics?.handlerTime(m.handlerMs);
      this.options.metrics?.workerThreadTime(Math.max(0, total - m.handlerMs));
      if (applyResults(batch, m.responses, this.options.maxResponseSize)) this.finishBatch(batch);
      return;
    }
    if (m.type === 'described') return;
    // chunk / end of a streamed response
    if (applyStreamMessage(batch, m, this.options.maxResponseSize)) this.finishBatch(batch);
  }

  private die(reason: WorkerDiedError): void {
    if (this.death) return;
    this.death = reason;
    const batches = [...this.inFlight.values()];
    this.inFlight.clear();
    this.outbox = [];
    this.clearTimer();
    const orphans = failOnDeath(batches, Atomics.load(this.running, 0), reason, this.options.onOrphans !== undefined);
    if (orphans.length > 0) this.options.onOrphans?.(orphans);
    if (this.loadWait) {
      clearTimeout(this.loadWait.timer);
      this.loadWait.reject(reason);
      this.loadWait = undefined;
    }
    for (const [id] of this.calls) this.settleCall(id, undefined, reason);
    if (this.unloadWait) this.settleCall(-1, undefined);
    this.resolveExited(reason);
  }
}
