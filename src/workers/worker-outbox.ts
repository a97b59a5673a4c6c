/**
 * The worker thread's side of posting to the main thread. Answers wait here until the end of
 * the thread's event-loop turn and leave together in one message (`many`, or `packed` when full
 * bodies are among them): a thread working through several pipelined batches wakes the main
 * thread once, and the main thread writes the responses in one burst. Full bodies below
 * `PACK_MAX_PAYLOAD` are packed (wire-pack.ts); a marker per structured message keeps the order.
 *
 * Flushed at `setImmediate` (after the turn, or as soon as a handler awaits real I/O), by the
 * caller before a call that may be slow, and on `process.exit`, so an answer given before the
 * thread exits is never lost with it.
 */
import type { MessagePort } from 'node:worker_threads';
import { transferables, type WireResponse, type WorkerToMain } from './messages.js';
import { ownedBytes } from './request-codec.js';
import { PACK_MAX_PAYLOAD, PackWriter, packMessageMarker, packResult, packableResult, type OutgoingBodyResponse } from './wire-pack.js';

/** A response as the handler's result became: a full body may still be text or the handler's own bytes. */
export type OutgoingResponse = Exclude<WireResponse, { kind: 'body' }> | OutgoingBodyResponse;

export class WorkerOutbox {
  private readonly port: MessagePort;
  private messages: WorkerToMain[] = [];
  private transfer: ArrayBuffer[] = [];
  private readonly packed = new PackWriter();
  private packedResults = 0;
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(port: MessagePort) {
    this.port = port;
    process.on('exit', this.flushNow);
  }

  /** Something waits to be posted. */
  get pending(): boolean {
    return this.messages.length > 0 || this.packedResults > 0;
  }

  post(msg: WorkerToMain, transfer?: ArrayBuffer[]): void {
    packMessageMarker(this.packed);
    this.messages.push(msg);
    if (transfer !== undefined) for (const t of transfer) this.transfer.push(t);
    this.schedule();
  }

  /** A batch's answers: packed when they are all small full bodies, else structured (large bodies transferred). */
  postResult(batchId: number, responses: OutgoingResponse[], handlerMs: number): void {
    if (packableResult(responses)) {
      try {
        packResult(this.packed, { batchId, responses, handlerMs });
        this.packedResults++;
        this.schedule();
        return;
      } catch {
        // Not packable after all (e.g. a header name that is not a string): send it structured.
      }
    }
    const large: Uint8Array[] = [];
    const wire = responses.map((r): WireResponse => {
      if (r.kind !== 'body') return r;
      const body = ownedBytes(r.body);
      if (body.byteLength >= PACK_MAX_PAYLOAD) large.push(body);
      return { ...r, body };
    });
    this.post({ type: 'result', batchId, responses: wire, handlerMs }, large.length === 0 ? undefined : transferables(large));
  }

  /** A streamed chunk: transferred when large, copied otherwise. */
  postChunk(batchId: number, index: number, data: Uint8Array): void {
    this.post({ type: 'chunk', batchId, index, data }, data.byteLength >= PACK_MAX_PAYLOAD ? transferables([data]) : undefined);
  }

  flush(): void {
    this.scheduled = false;
    if (!this.pending) return;
    const messages = this.messages;
    const transfer = this.transfer;
    this.messages = [];
    this.transfer = [];
    if (this.packedResults > 0) {
      this.packedResults = 0;
      const bytes = this.packed.take();
      transfer.push(bytes.buffer as ArrayBuffer);
      this.port.postMessage({ type: 'packed', bytes, messages } satisfies WorkerToMain, transfer);
      return;
    }
    this.packed.discard();
    this.port.postMessage(messages.length === 1 ? messages[0]! : ({ type: 'many', messages } satisfies WorkerToMain), transfer);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushNow);
  }
}
