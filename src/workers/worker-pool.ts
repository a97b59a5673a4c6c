/**
 * The workers of one model version (TorchServe's WorkLoadManager role, undici's Pool idea):
 * `scale` adds or removes `WorkerHandle`s, each of which pulls batches from the shared
 * `BatchQueue` whenever it is idle. Control (scale, describe, close) reaches the handles directly
 * and never travels through the queue.
 *
 * - Scale-up starts new slots at the next indices; a synchronous caller waits for their first
 *   load attempt (`ScaleOutcome.failed` counts the ones that failed).
 * - Scale-down stops the highest-index slots: an idle worker finalizes its handler, a busy one
 *   is terminated and the unanswered jobs of its batch go back to the head of the queue; once
 *   no worker is left (scaled to 0), the queued jobs are answered with 503 (`QueueFullError`).
 * - `healthyCount` is what /ping compares with `minWorkers`: slots not FAILED (a slot still
 *   retrying inside its recovery window counts as healthy, as in TorchServe).
 */
import type { BatchQueue } from '../batching/batch-queue.js';
import { QueueFullError } from '../errors/index.js';
import type { HandlerLogger, ModelSettings } from '../handlers/handler.js';
import type { ModelSignature } from '../inference/types.js';
import type { ModelMetrics } from '../metrics/metrics-api.js';
import { workerScriptUrl } from '../util/worker-script.js';
import type { LoadPayload } from './messages.js';
import { WorkerHandle, type WorkerStatus } from './worker-handle.js';
import type { WorkerThreadOptions } from './worker-thread.js';

export interface WorkerPoolOptions {
  modelName: string;
  modelVersion: string;
  /** Load payload without `deviceId` (set per worker) and without settings (live reference below). */
  load: Omit<LoadPayload, 'deviceId' | 'settings'>;
  /** Live settings object; `batchSize`, `maxBatchDelay` and the timeouts are read from it. */
  settings: ModelSettings;
  queue: BatchQueue;
  maxResponseSize: number;
  /** Allocates the port-like worker id TorchServe shows in describe (9000, 9001, …). */
  nextWorkerId: () => number;
  log: HandlerLogger;
  metrics?: ModelMetrics;
  /** Restart back-off unit (1000 ms = TorchServe's seconds). Tests shrink it. */
  backoffUnitMs?: number;
  /** How long a stopping worker may spend in `finalize` (ms). */
  finalizeTimeoutMs?: number;
  scriptUrl?: URL;
  resourceLimits?: WorkerThreadOptions['resourceLimits'];
}

export interface ScaleOutcome {
  /** Workers now in the pool. */
  workers: number;
  /** New workers whose first load failed (0 for async callers, who do not wait). */
  failed: number;
  /** The first load error, when `failed > 0`. */
  error?: Error;
}

export interface WorkerStats {
  id: string;
  startTime: Date;
  status: 'READY' | 'UNLOADING';
  state: WorkerStatus;
  memoryUsage: number;
  pid: number;
  threadId: number | undefined;
}

export class WorkerPool {
  private readonly options: WorkerPoolOptions;
  private handles: WorkerHandle[] = [];
  private closed = false;
  private readonly scriptUrl: URL;

  constructor(options: WorkerPoolOptions) {
    this.options = options;
    this.scriptUrl = options.scriptUrl ?? workerScriptUrl(import.meta.url, 'worker-entry');
  }

  /** Worker slots that exist (any state but FAILED/STOPPED). */
  get workerCount(): number {
    return this.handles.length;
  }

  healthyCount(): number {
    return this.handles.filter((h) => h.healthy).length;
  }

  readyCount(): number {
    return this.handles.filter((h) => h.status === 'READY' || h.status === 'BUSY').length;
  }

  busyCount(): number {
    return this.handles.filter((h) => h.busy).length;
  }

  /** The signature the first loaded worker reported. */
  get signature(): ModelSignature | undefined {
    for (const h of this.handles) if (h.signature) return h.signature;
    return undefined;
  }

  /** Why the workers could not load (latest error of a slot not READY), if any. */
  get loadError(): string | undefined {
    for (const h of this.handles) if (h.lastError && h.status !== 'READY' && h.status !== 'BUSY') return h.lastError.message;
    return undefined;
  }

  /**
   * Resize to `target` workers. With `wait`, resolve after every new worker's first load attempt.
   * Resizes are serialised; waiting for loads is not.
   */
  async scale(target: number, wait: boolean): Promise<ScaleOutcome> {
    const resized = this.resizing.then(() => this.resize(target));
    this.resizing = resized.then(
      () => undefined,
      () => undefined,
    );
    const added = await resized;
    if (!wait) return { workers: this.handles.length, failed: 0 };
    const outcomes = await Promise.allSettled(added.map((h) => h.firstLoad));
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    const outcome: ScaleOutcome = { workers: this.handles.length, failed: failures.length };
    if (failures.length > 0) outcome.error = failures[0]!.reason as Error;
    return outcome;
  }

  private resizing: Promise<void> = Promise.resolve();

  private async resize(target: number): Promise<WorkerHandle[]> {
    if (this.closed) return [];
    const added: WorkerHandle[] = [];
    while (this.handles.length < target) {
      const handle = this.createHandle(this.handles.length);
      this.handles.push(handle);
      added.push(handle);
      handle.start();
    }
    const removed = this.handles.splice(Math.max(0, target));
    await this.stopHandles(removed.reverse());
    // Scaled to 0 (or only failed slots left): nothing will ever take the queued jobs.
    if (removed.length > 0 && (this.handles.length === 0 || this.healthyCount() === 0)) this.rejectStranded();
    return added;
  }

  stats(): WorkerStats[] {
    const rss = process.memoryUsage.rss();
    return this.handles.map((h) => ({
      id: h.id,
      startTime: h.startTime,
      status: h.status === 'READY' || h.status === 'BUSY' ? 'READY' : 'UNLOADING',
      state: h.status,
      memoryUsage: rss,
      pid: process.pid,
      threadId: h.threadId,
    }));
  }

  /** Customized describe on a ready worker (an idle one preferred). */
  describe(headers: Record<string, string>): Promise<unknown> {
    const ready = this.handles.filter((h) => h.status === 'READY' || h.status === 'BUSY');
    const pick = ready.find((h) => !h.busy) ?? ready[0];
    if (pick === undefined) return Promise.reject(new Error('no ready worker'));
    return pick.describe(headers);
  }

  /** Resolves true once no job waits and no worker is busy, false after `timeoutMs`. */
  async drain(timeoutMs: number, pollMs = 10): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.options.queue.pending > 0 || this.busyCount() > 0) {
      // Queued jobs with no live worker will never run: closing the pool answers them.
      if (this.busyCount() === 0 && this.readyCount() === 0) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return true;
  }

  /** Stop every worker (finalize when idle) and close the queue; queued jobs are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.resizing;
    const all = this.handles.splice(0);
    const requeue = await Promise.all(all.map((h) => h.stop(this.finalizeTimeoutMs)));
    this.options.queue.requeue(requeue.flat());
    this.options.queue.close();
  }

  private get finalizeTimeoutMs(): number {
    return this.options.finalizeTimeoutMs ?? 10_000;
  }

  private async stopHandles(handles: WorkerHandle[]): Promise<void> {
    if (handles.length === 0) return;
    const requeue = await Promise.all(handles.map((h) => h.stop(this.finalizeTimeoutMs)));
    this.options.queue.requeue(requeue.flat());
  }

  /** Answer every queued job with 503 "no worker to serve" (no slot can serve them). */
  private rejectStranded(): void {
    this.options.queue.rejectPending(new QueueFullError(this.options.modelName));
  }

  private createHandle(index: number): WorkerHandle {
    const { modelName, modelVersion } = this.options;
    const id = String(this.options.nextWorkerId());
    const name = `W-${id}-${modelName}_${modelVersion}`;
    const log = this.options.log;
    const options: ConstructorParameters<typeof WorkerHandle>[0] = {
      index,
      id,
      name,
      queue: this.options.queue,
      settings: this.options.settings,
      backoffUnitMs: this.options.backoffUnitMs ?? 1000,
      log,
      // Once no slot can ever serve again, queued requests must not wait forever.
      onFailed: () => {
        if (this.healthyCount() === 0) this.rejectStranded();
      },
      thread: {
        scriptUrl: this.scriptUrl,
        payload: { ...this.options.load, settings: this.options.settings, deviceId: index },
        maxResponseSize: this.options.maxResponseSize,
        onLog: (level, message) => log[level](`${name}: ${message}`),
      },
    };
    if (this.options.metrics) {
      options.metrics = this.options.metrics;
      options.thread.metrics = this.options.metrics;
    }
    if (this.options.resourceLimits) options.thread.resourceLimits = this.options.resourceLimits;
    return new WorkerHandle(options);
  }
}
