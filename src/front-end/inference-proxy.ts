/**
 * The `InferenceApi` of a front-end thread: every call is an entry in this turn's pack to the
 * main thread, which runs it on the real `InferenceService` (queues, batching, timeouts all stay
 * there) and answers in its own packs (inference-relay.ts). The routes above it are the same
 * ones the main thread serves; they cannot tell the difference.
 *
 * - `predict` resolves with the full body, or with a stream fed by the main thread's chunks;
 *   a client that goes away (`onCancel` / `signal`, or a stream consumer that stops) sends a
 *   CANCEL, and the main thread drops the job as it would for its own client.
 * - `health`, `modelStatus`, `modelNames` ask the main thread (one round trip), so a front end
 *   never answers from a stale copy.
 * - `failAll` settles everything still waiting (the main thread went away).
 */
import { fromWire, type WireError } from '../errors/wire.js';
import type { InferenceApi, ModelStatus } from '../inference/inference-api.js';
import type { InferenceRequest, InferenceResult, PredictOptions } from '../inference/types.js';
import { StreamChannel } from '../util/stream-channel.js';
import { PackOutbox, readPack, TAG, writeCall, writeRequest, type CallMethod } from './front-end-pack.js';

interface Waiting {
  resolve(value: never): void;
  reject(err: unknown): void;
  /** Set once a streamed answer started. */
  channel?: StreamChannel<Uint8Array>;
}

const ID_LIMIT = 0xffff_ffff;

export class InferenceProxy implements InferenceApi {
  private readonly outbox: PackOutbox;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(post: (bytes: Uint8Array) => void) {
    this.outbox = new PackOutbox(post);
  }

  /** Requests and calls still waiting for the main thread. */
  get pending(): number {
    return this.waiting.size;
  }

  predict(model: string, version: string | undefined, request: InferenceRequest, options: PredictOptions = {}): Promise<InferenceResult> {
    const id = this.id();
    writeRequest(this.outbox, id, model, version, request, options.explain ?? request.headers.explain === 'True');
    const result = this.wait<InferenceResult>(id);
    if (options.onCancel !== undefined) options.onCancel(() => this.cancel(id));
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.cancel(id);
      else {
        const onAbort = (): void => this.cancel(id);
        signal.addEventListener('abort', onAbort, { once: true });
        const forget = (): void => signal.removeEventListener('abort', onAbort);
        result.then(forget, forget);
      }
    }
    return result;
  }

  health(): Promise<{ healthy: boolean }> {
    return this.call('health', []);
  }

  modelStatus(model: string, version?: string): Promise<ModelStatus> {
    return this.call('modelStatus', [model, version]);
  }

  modelNames(): Promise<string[]> {
    return this.call('modelNames', []);
  }

  /** Anything else the main thread answers by name (management, `/token`, `/metrics`). */
  call<T>(method: CallMethod, args: readonly unknown[]): Promise<T> {
    const id = this.id();
    writeCall(this.outbox, id, method, args);
    return this.wait<T>(id);
  }

  /** One pack from the main thread. */
  receive(bytes: Uint8Array): void {
    readPack(bytes, {
      body: (id, result) => this.settle(id)?.resolve(result as never),
      head: (id, result) => {
        const waiting = this.waiting.get(id);
        if (waiting === undefined) return;
        const channel = new StreamChannel<Uint8Array>();
        waiting.channel = channel;
        result.stream = this.consume(id, channel);
        waiting.resolve(result as never);
      },
      // A chunk is a view into the pack: copied, since the consumer may hold it past this turn.
      chunk: (id, chunk) => this.waiting.get(id)?.channel?.push(Uint8Array.prototype.slice.call(chunk)),
      end: (id) => this.settle(id)?.channel?.close(),
      error: (id, error) => this.fail(id, error),
      value: (id, value) => this.settle(id)?.resolve(value as never),
    });
  }

  /** Everything still waiting fails with `err` (the main thread is gone). */
  failAll(err: Error): void {
    const all = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of all) {
      if (w.channel !== undefined) w.channel.close(err);
      else w.reject(err);
    }
  }

  private fail(id: number, wire: WireError): void {
    const w = this.settle(id);
    if (w === undefined) return;
    const err = fromWire(wire);
    if (w.channel !== undefined) w.channel.close(err);
    else w.reject(err);
  }

  private cancel(id: number): void {
    const w = this.waiting.get(id);
    if (w === undefined) return;
    this.outbox.entry(TAG.CANCEL, id);
    if (w.channel !== undefined) {
      this.waiting.delete(id);
      w.channel.close();
    }
  }

  private async *consume(id: number, channel: StreamChannel<Uint8Array>): AsyncIterable<Uint8Array> {
    let finished = false;
    try {
      for await (const chunk of channel) yield chunk;
      finished = true;
    } finally {
      if (!finished) this.cancel(id);
    }
  }

  private wait<T>(id: number): Promise<T> {
    return new Promise<T>((resolve, reject) => this.waiting.set(id, { resolve: resolve as (v: never) => void, reject }));
  }

  private settle(id: number): Waiting | undefined {
    const w = this.waiting.get(id);
    if (w !== undefined) this.waiting.delete(id);
    return w;
  }

  private id(): number {
    const id = this.nextId;
    this.nextId = id === ID_LIMIT ? 1 : id + 1;
    return id;
  }
}

