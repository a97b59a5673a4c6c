/**
 * How batches travel to a worker thread (see messages.ts and wire-pack.ts): the message for one
 * batch sent to an idle thread, and the one message for batches sent together while it is
 * busy. Pure: no thread, no state beyond the caller's scratch `PackWriter`.
 *
 * - Small payloads are packed into one transferred buffer (no structured clone).
 * - A batch with a payload of `PACK_MAX_PAYLOAD` bytes or more goes structured; sent to an idle
 *   thread, its large buffers are transferred (zero copy, `transferred: true`: the job cannot
 *   be re-queued); sent behind another batch they are copied, so the job can still be re-queued
 *   if the thread dies or is scaled down before reaching it.
 */
import type { Job } from '../batching/job.js';
import { transferables, type MainToWorker, type WireParameter, type WireRequest } from './messages.js';
import { PACK_MAX_PAYLOAD, packBatches, packable, type PackWriter } from './wire-pack.js';

export interface OutgoingBatch {
  batchId: number;
  requests: WireRequest[];
}

export interface BatchPost {
  message: MainToWorker;
  transfer: ArrayBuffer[];
  /** Payload buffers were transferred: they are gone from this thread. */
  transferred: boolean;
}

export function wireRequest(job: Job): WireRequest {
  const r = job.request;
  return { requestId: r.requestId, headers: r.headers, parameters: r.parameters, explain: job.explain };
}

/**
 * `p` with a value that owns its whole buffer: postMessage copies a view's entire backing
 * buffer (a small body parsed by Node is a view into an 8 KiB pool or a 64 KiB read buffer),
 * so a view into a larger buffer is copied to an exact-size one first.
 */
export function ownedParameter(p: WireParameter): WireParameter {
  const v = p.value;
  if (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) return p;
  return { name: p.name, contentType: p.contentType, value: Uint8Array.prototype.slice.call(v) };
}

function packed(packer: PackWriter, batches: readonly OutgoingBatch[]): BatchPost {
  const bytes = packBatches(packer, batches);
  return { message: { type: 'packed', bytes }, transfer: [bytes.buffer as ArrayBuffer], transferred: false };
}

/** `packed`, or undefined when something in the batches cannot be packed (then it goes structured). */
function tryPacked(packer: PackWriter, batches: readonly OutgoingBatch[]): BatchPost | undefined {
  if (!batches.every((b) => packable(b.requests))) return undefined;
  try {
    return packed(packer, batches);
  } catch {
    return undefined;
  }
}

/** One batch for an idle thread: payloads of `PACK_MAX_PAYLOAD` bytes or more are transferred. */
export function batchPost(packer: PackWriter, batch: OutgoingBatch): BatchPost {
  const post = tryPacked(packer, [batch]);
  if (post !== undefined) return post;
  const views: Uint8Array[] = [];
  for (const r of batch.requests) {
    r.parameters = r.parameters.map(ownedParameter);
    for (const p of r.parameters) views.push(p.value);
  }
  const transfer = transferables(views, PACK_MAX_PAYLOAD);
  return { message: { type: 'predict', batchId: batch.batchId, requests: batch.requests }, transfer, transferred: transfer.length > 0 };
}

/** Batches queued behind a running one, in one message; payloads are copied, never transferred. */
export function queuedBatchesPost(packer: PackWriter, batches: readonly OutgoingBatch[]): BatchPost {
  const post = tryPacked(packer, batches);
  if (post !== undefined) return post;
  for (const b of batches) for (const r of b.requests) r.parameters = r.parameters.map(ownedParameter);
  const message: MainToWorker = batches.length === 1 ? { type: 'predict', batchId: batches[0]!.batchId, requests: batches[0]!.requests } : { type: 'predict-many', batches: [...batches] };
  return { message, transfer: [], transferred: false };
}
