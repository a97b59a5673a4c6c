/**
 * The main thread's end of one front-end thread: runs the thread's requests and calls on the
 * real `InferenceApi` and answers in packs (front-end-pack.ts), one per turn. A request becomes
 * a job in its model's queue exactly as one from the main thread's own listener would; a
 * CANCEL cancels it (queued: dropped; streaming: the stream stops).
 */
import { CancelledError } from '../errors/index.js';
import { toWire } from '../errors/wire.js';
import type { InferenceApi } from '../inference/inference-api.js';
import type { InferenceRequest, InferenceResult } from '../inference/types.js';
import { PackOutbox, readPack, TAG, writeBody, writeChunk, writeJson, writeStreamHead, type CallMethod } from './front-end-pack.js';

export class InferenceRelay {
  private readonly outbox: PackOutbox;
  /** Cancel functions of the requests not finished yet (answer not sent, or stream running). */
  private readonly cancels = new Map<number, () => void>();
  private closed = false;

  /** The calls answered besides predictions: the inference status reads plus `calls`. */
  private readonly calls: Partial<Record<CallMethod, (...args: never[]) => unknown>>;

  constructor(
    private readonly inference: InferenceApi,
    post: (bytes: Uint8Array) => void,
    calls: Partial<Record<CallMethod, (...args: never[]) => unknown>> = {},
  ) {
    this.calls = {
      health: () => inference.health(),
      modelStatus: (model: string, version: string | undefined) => inference.modelStatus(model, version),
      modelNames: () => inference.modelNames(),
      ...calls,
    };
    this.outbox = new PackOutbox((bytes) => {
      if (!this.closed) post(bytes);
    });
  }

  /** Requests still running for this front end. */
  get inFlight(): number {
    return this.cancels.size;
  }

  receive(bytes: Uint8Array): void {
    readPack(bytes, {
      request: (id, model, version, request, explain) => this.predict(id, model, version, request, explain),
      cancel: (id) => this.cancels.get(id)?.(),
      call: (id, method, args) => this.call(id, method, args),
    });
  }

  /** The front end is gone: cancel everything it asked for, send nothing more. */
  close(): void {
    this.closed = true;
    const cancels = [...this.cancels.values()];
    this.cancels.clear();
    for (const cancel of cancels) cancel();
  }

  private predict(id: number, model: string, version: string | undefined, request: InferenceRequest, explain: boolean): void {
    // The request's payloads are views into the pack: they live as long as the job holds them.
    this.inference
      .predict(model, version, request, { explain, onCancel: (cancel) => this.cancels.set(id, cancel) })
      .then(
        (result) => {
          if (result.stream === undefined) {
            this.cancels.delete(id);
            if (!this.closed) writeBody(this.outbox, id, result);
          } else this.stream(id, result, result.stream);
        },
        (err: unknown) => {
          this.cancels.delete(id);
          if (!this.closed) writeJson(this.outbox, TAG.ERROR, id, toWire(err));
        },
      );
  }

  private stream(id: number, head: InferenceResult, stream: AsyncIterable<Uint8Array>): void {
    const iterator = stream[Symbol.asyncIterator]();
    let stopped = false;
    this.cancels.set(id, () => {
      stopped = true;
      this.cancels.delete(id);
      // The front end may not have the stream's head yet: tell it the stream is over.
      if (!this.closed) writeJson(this.outbox, TAG.ERROR, id, toWire(new CancelledError()));
      Promise.resolve(iterator.return?.()).catch(() => {});
    });
    writeStreamHead(this.outbox, id, head);
    const pump = async (): Promise<void> => {
      try {
        for (;;) {
          const next = await iterator.next();
          if (stopped || this.closed) return;
          if (next.done === true) break;
          writeChunk(this.outbox, id, next.value);
        }
        this.outbox.entry(TAG.END, id);
      } catch (err) {
        if (!stopped && !this.closed) writeJson(this.outbox, TAG.ERROR, id, toWire(err));
      } finally {
        if (!stopped) this.cancels.delete(id);
      }
    };
    void pump();
  }

  private call(id: number, method: CallMethod, args: unknown[]): void {
    const fn = this.calls[method] as ((...a: unknown[]) => unknown) | undefined;
    Promise.resolve()
      .then(() => {
        if (fn === undefined) throw new Error(`front end asked for ${method}, which this listener does not serve`);
        return fn(...args);
      })
      .then(
        (value) => {
          if (!this.closed) writeJson(this.outbox, TAG.VALUE, id, value);
        },
        (err: unknown) => {
          if (!this.closed) writeJson(this.outbox, TAG.ERROR, id, toWire(err));
        },
      );
  }
}
