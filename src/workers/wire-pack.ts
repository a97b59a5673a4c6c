/**
 * Binary packing of the two hot messages between the main thread and a worker thread: the
 * batches sent to the thread, and the full-body results it sends back. Structured clone costs
 * an object walk, a copy of each payload's whole backing buffer and one `ArrayBuffer` per
 * payload on each side; a packed message is ONE exact-size buffer, transferred, whose payloads
 * the receiver reads as views (no copy, no allocation per payload).
 *
 * Everything else (load, describe, logs, metrics, errors, streamed chunks, payloads of
 * `PACK_MAX_PAYLOAD` bytes and more, which are transferred on their own) stays structured
 * clone. Layout, little-endian; `str` = u8 index into `KNOWN`, or 255 then u32 byte length +
 * UTF-8; `bytes` = u32 length + bytes:
 *
 *   batches: u32 count, then per batch u32 batchId, u32 requests, then per request
 *            str requestId, u8 explain, u32 headers, (str name, str value)*,
 *            u32 parameters, (str name, str contentType, bytes value)*
 *   results: a sequence of entries until the end, each a u8 tag:
 *            0 = the next structured message of the same post (keeps the thread's order);
 *            1 = u32 batchId, f64 handlerMs, u32 responses, then per response
 *                u16 status, u8 has content type, [str contentType], u32 headers,
 *                (str name, str value)*, bytes body
 */
import { PackReader, PackWriter, readHeaders, readParameters, writeHeaders, writeParameters } from '../util/byte-pack.js';
import type { WireRequest, WireResponse, WorkerToMain } from './messages.js';

export { PackReader, PackWriter } from '../util/byte-pack.js';

/** Payloads at least this large are transferred on their own, never packed (copied). */
export const PACK_MAX_PAYLOAD = 64 * 1024;

export interface PackedBatch {
  batchId: number;
  requests: WireRequest[];
}

export type BodyResponse = Extract<WireResponse, { kind: 'body' }>;

export interface PackedResult {
  batchId: number;
  responses: BodyResponse[];
  handlerMs: number;
}

/** A full-body response before packing: the body may still be text (written as UTF-8). */
export type OutgoingBodyResponse = Omit<BodyResponse, 'body'> & { body: Uint8Array | string };

const TAG_MESSAGE = 0;
const TAG_RESULT = 1;

/** True when no payload of `requests` is too large to pack. */
export function packable(requests: readonly WireRequest[]): boolean {
  for (const r of requests) for (const p of r.parameters) if (p.value.byteLength >= PACK_MAX_PAYLOAD) return false;
  return true;
}

export function packBatches(w: PackWriter, batches: readonly PackedBatch[]): Uint8Array {
  try {
    writeBatches(w, batches);
  } catch (err) {
    w.discard();
    throw err;
  }
  return w.take();
}

function writeBatches(w: PackWriter, batches: readonly PackedBatch[]): void {
  w.u32(batches.length);
  for (const b of batches) {
    w.u32(b.batchId);
    w.u32(b.requests.length);
    for (const req of b.requests) {
      w.str(req.requestId);
      w.u8(req.explain ? 1 : 0);
      writeHeaders(w, req.headers);
      writeParameters(w, req.parameters);
    }
  }
}

export function unpackBatches(bytes: Uint8Array): PackedBatch[] {
  const r = new PackReader(bytes);
  const out: PackedBatch[] = [];
  for (let nb = r.u32(); nb > 0; nb--) {
    const batchId = r.u32();
    const requests: WireRequest[] = [];
    for (let nr = r.u32(); nr > 0; nr--) {
      const requestId = r.str();
      const explain = r.u8() === 1;
      const headers = readHeaders(r);
      const parameters = readParameters(r);
      requests.push({ requestId, headers, parameters, explain });
    }
    out.push({ batchId, requests });
  }
  return out;
}

/** True when a body (bytes, or text as UTF-8) is small enough to pack. */
export function packableBody(body: Uint8Array | string): boolean {
  if (typeof body !== 'string') return body.byteLength < PACK_MAX_PAYLOAD;
  return body.length * 3 < PACK_MAX_PAYLOAD || (body.length < PACK_MAX_PAYLOAD && Buffer.byteLength(body) < PACK_MAX_PAYLOAD);
}

/**
 * True when every response of a result is a body small enough to pack, with what the layout can
 * hold (a status that fits 16 bits, string type and header values). Anything else a handler
 * chose travels structured, and the main thread judges it as before.
 */
export function packableResult(responses: readonly (WireResponse | OutgoingBodyResponse)[]): responses is OutgoingBodyResponse[] {
  for (const r of responses) {
    if (r.kind !== 'body' || !packableBody(r.body)) return false;
    if (!Number.isInteger(r.status) || r.status < 0 || r.status > 0xffff) return false;
    if (r.contentType !== undefined && typeof r.contentType !== 'string') return false;
    for (const name in r.headers) if (typeof r.headers[name] !== 'string') return false;
  }
  return true;
}

/** Results: append the marker for the next structured message of the same post. */
export function packMessageMarker(w: PackWriter): void {
  w.u8(TAG_MESSAGE);
}

/** Append one result (all or nothing: a result that cannot be written leaves the writer as it was). */
export function packResult(w: PackWriter, result: { batchId: number; handlerMs: number; responses: readonly OutgoingBodyResponse[] }): void {
  const start = w.length;
  try {
    writeResult(w, result);
  } catch (err) {
    w.discard(start);
    throw err;
  }
}

function writeResult(w: PackWriter, result: { batchId: number; handlerMs: number; responses: readonly OutgoingBodyResponse[] }): void {
  w.u8(TAG_RESULT);
  w.u32(result.batchId);
  w.f64(result.handlerMs);
  w.u32(result.responses.length);
  for (const res of result.responses) {
    w.u16(res.status);
    if (res.contentType === undefined) w.u8(0);
    else {
      w.u8(1);
      w.str(res.contentType);
    }
    writeHeaders(w, res.headers);
    if (typeof res.body === 'string') w.utf8(res.body);
    else w.bytes(res.body);
  }
}

/**
 * Walk packed results in order: `onResult` for each packed result, `onMessage(i)` where the
 * i-th structured message of the post belongs.
 */
export function unpackResults(bytes: Uint8Array, onResult: (r: PackedResult) => void, onMessage: (index: number) => void): void {
  const r = new PackReader(bytes);
  let messages = 0;
  while (!r.done) {
    if (r.u8() === TAG_MESSAGE) {
      onMessage(messages++);
      continue;
    }
    const batchId = r.u32();
    const handlerMs = r.f64();
    const responses: BodyResponse[] = [];
    for (let n = r.u32(); n > 0; n--) {
      const status = r.u16();
      const contentType = r.u8() === 1 ? r.str() : undefined;
      const headers = readHeaders(r);
      const body = r.bytes();
      responses.push(contentType === undefined ? { kind: 'body', status, headers, body } : { kind: 'body', status, headers, body, contentType });
    }
    onResult({ batchId, responses, handlerMs });
  }
}

/**
 * The messages of one post of a worker thread, in the order it posted them: a `many` or
 * `packed` post is unwrapped (packed results become `result` messages), any other is itself.
 */
export function forEachPosted(m: WorkerToMain, visit: (m: WorkerToMain) => void): void {
  if (m.type === 'many') for (const inner of m.messages) visit(inner);
  else if (m.type === 'packed') {
    const messages = m.messages;
    unpackResults(m.bytes, (r) => visit({ type: 'result', batchId: r.batchId, responses: r.responses, handlerMs: r.handlerMs }), (i) => visit(messages[i]!));
  } else visit(m);
}
