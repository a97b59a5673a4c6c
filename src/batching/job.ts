/**
 * One inference (or describe) request on its way through a model's queue to a worker.
 *
 * Ownership: the inference service creates the job and hands it to `BatchQueue.enqueue`; from
 * then on the queue, and later the worker that took it, own it until it is settled. Settling is
 * one-shot: the first `resolve`/`reject`/`openStream` wins, later calls are ignored and return
 * false (a worker that answers after a timeout, or after the client went away, changes nothing).
 *
 * A job is *live* while it is pending, its signal is not aborted and its deadline has not
 * passed. An aborted job is rejected with `CancelledError` at once, so `result` always settles,
 * and the queue skips it: it never reaches a handler.
 *
 * Streams: `openStream(head)` resolves `result` with an `InferenceResult` whose `stream` yields
 * the chunks pushed to the returned sink. The job is `done` when the sink ends or fails; the
 * consumer stopping early (client gone) closes the sink and later chunks are dropped.
 */
import { CancelledError } from '../errors/index.js';
import type { InferenceRequest, InferenceResult } from '../inference/types.js';
import type { ModelMetrics } from '../metrics/metrics-api.js';
import { FixedQueue } from './fixed-queue.js';

export type JobKind = 'predict' | 'describe';

export interface JobOptions {
  request: InferenceRequest;
  kind?: JobKind;
  explain?: boolean;
  signal?: AbortSignal;
  /** Like `signal`, without an AbortController: called once with a function that cancels the job. */
  onCancel?: (cancel: () => void) => void;
  /** Absolute time (performance.now() ms) after which the job is dropped unanswered-by-handler. */
  deadline?: number;
  /** Recorder for queue / completion latency (bound once per model version). */
  metrics?: ModelMetrics;
  now?: () => number;
}

export interface StreamHead {
  status: number;
  headers: Record<string, string>;
  contentType?: string;
}

export interface StreamSink {
  push(chunk: Uint8Array): void;
  end(): void;
  fail(err: unknown): void;
  /** The consumer stopped reading (or the stream already ended). */
  readonly closed: boolean;
}

type JobState = 'pending' | 'streaming' | 'done';

export class Job {
  readonly id: string;
  readonly request: InferenceRequest;
  readonly kind: JobKind;
  readonly explain: boolean;
  readonly signal: AbortSignal | undefined;
  readonly deadline: number | undefined;
  readonly enqueuedAt: number;
  readonly result: Promise<InferenceResult>;
  /** Set by the worker side once the payload's buffers were transferred to a thread. */
  payloadTransferred = false;
  /** Set by `markStarted`: a worker began its batch (the job left the queue for good). */
  started = false;

  private state: JobState = 'pending';
  private resolveResult!: (r: InferenceResult) => void;
  private rejectResult!: (e: unknown) => void;
  private readonly metrics: ModelMetrics | undefined;
  private readonly now: () => number;
  private readonly onAbort = (): void => {
    this.reject(new CancelledError());
  };
  private doneListeners: (() => void)[] = [];

  constructor(options: JobOptions) {
    this.request = options.request;
    this.id = options.request.requestId;
    this.kind = options.kind ?? 'predict';
    this.explain = options.explain ?? false;
    this.signal = options.signal;
    this.deadline = options.deadline;
    this.metrics = options.metrics;
    this.now = options.now ?? (() => performance.now());
    this.enqueuedAt = this.now();
    this.result = new Promise<InferenceResult>((resolve, reject) => {
      this.resolveResult = resolve;
      this.rejectResult = reject;
    });
    // A rejected result nobody awaits yet (queued job aborted) must not crash the process.
    this.result.catch(() => {});
    if (this.signal !== undefined) {
      if (this.signal.aborted) this.reject(new CancelledError());
      else this.signal.addEventListener('abort', this.onAbort, { once: true });
    }
    options.onCancel?.(this.onAbort);
  }

  /** Still pending (not answered, not streaming). */
  get pending(): boolean {
    return this.state === 'pending';
  }

  get done(): boolean {
    return this.state === 'done';
  }

  /** Pending, not aborted and not past its deadline. Expired jobs are cancelled here. */
  isLive(now = this.now()): boolean {
    if (this.state !== 'pending') return false;
    if (this.deadline !== undefined && now > this.deadline) {
      // TorchServe drops expired jobs without an answer; CANCELLED makes transports send nothing.
      this.reject(new CancelledError('Request expired before it was processed'));
      return false;
    }
    return true;
  }

  /** Called when a worker takes the job into a batch. */
  markStarted(): void {
    this.started = true;
    this.metrics?.queued(Math.round((this.now() - this.enqueuedAt) * 1000));
  }

  /** Run `fn` once the job is done (answered, failed, or its stream ended). */
  onDone(fn: () => void): void {
    if (this.state === 'done') fn();
    else this.doneListeners.push(fn);
  }

  resolve(result: InferenceResult): boolean {
    if (this.state !== 'pending') return false;
    this.resolveResult(result);
    this.finish(true);
    return true;
  }

  reject(err: unknown): boolean {
    if (this.state === 'done') return false;
    if (this.state === 'streaming') {
      this.sink?.fail(err);
      return true;
    }
    this.rejectResult(err);
    this.finish(false);
    return true;
  }

  private sink: StreamSink | undefined;

  /** Resolve `result` with a stream; returns the sink the worker side feeds, or undefined if already settled. */
  openStream(head: StreamHead): StreamSink | undefined {
    if (this.state !== 'pending') return undefined;
    this.state = 'streaming';
    const chunks = new FixedQueue<Uint8Array>();
    let ended = false;
    let failure: { err: unknown } | undefined;
    let closed = false;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const sink: StreamSink = {
      push: (chunk) => {
        if (closed || ended || failure) return;
        chunks.push(chunk);
        notify();
      },
      end: () => {
        if (ended || failure) return;
        ended = true;
        notify();
        this.finish(true);
      },
      fail: (err) => {
        if (ended || failure) return;
        failure = { err };
        notify();
        this.finish(false);
      },
      get closed() {
        return closed || ended || failure !== undefined;
      },
    };
    this.sink = sink;
    const stream: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<Uint8Array>> => {
          for (;;) {
            const chunk = chunks.shift();
            if (chunk !== undefined) return { value: chunk, done: false };
            if (failure) throw failure.err;
            if (ended || closed) return { value: undefined, done: true };
            await new Promise<void>((r) => (wake = r));
          }
        },
        return: async (): Promise<IteratorResult<Uint8Array>> => {
          closed = true;
          chunks.drain();
          return { value: undefined, done: true };
        },
      }),
    };
    const result: InferenceResult = { status: head.status, headers: head.headers, stream };
    if (head.contentType !== undefined) result.contentType = head.contentType;
    this.resolveResult(result);
    return sink;
  }

  private finish(ok: boolean): void {
    this.state = 'done';
    this.signal?.removeEventListener('abort', this.onAbort);
    if (ok) this.metrics?.completed(Math.round((this.now() - this.enqueuedAt) * 1000));
    const listeners = this.doneListeners;
    this.doneListeners = [];
    for (const fn of listeners) fn();
  }
}
