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
import type { WireRequest, WireResponse, WorkerToMain } from './messages.js';

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

/**
 * Strings that recur in nearly every message (header names, usual values, parameter names and
 * types) travel as one byte: their index here. Any other string is `LITERAL`, then u32 length
 * and UTF-8. Appending to this list is safe (both threads run the same code); reordering is too.
 */
const KNOWN: readonly string[] = [
  '', 'body', 'data', 'application/json', 'text/plain', 'application/octet-stream', 'True', 'False',
  'host', 'content-type', 'content-length', 'user-agent', 'accept', 'accept-encoding', 'connection', 'url_path', 'explain',
  'authorization', 'keep-alive', 'close', '*/*', 'gzip, deflate', 'x-request-id', 'transfer-encoding', 'chunked',
];
const LITERAL = 255;
const KNOWN_INDEX = new Map(KNOWN.map((s, i) => [s, i]));
const KNOWN_MAX_LENGTH = Math.max(...KNOWN.map((s) => s.length));

const TAG_MESSAGE = 0;
const TAG_RESULT = 1;
/** A scratch buffer that grew past this is dropped after use instead of kept. */
const SCRATCH_KEEP_BYTES = 1024 * 1024;

/** An append-only byte writer over a reusable scratch buffer; `take()` copies out an exact-size buffer. */
export class PackWriter {
  private buf: Buffer;
  private at = 0;
  private readonly initial: number;

  constructor(initialBytes = 16 * 1024) {
    this.initial = initialBytes;
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  get length(): number {
    return this.at;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.at++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.at);
    this.at += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v, this.at);
    this.at += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.at);
    this.at += 8;
  }

  str(s: string): void {
    const known = s.length <= KNOWN_MAX_LENGTH ? KNOWN_INDEX.get(s) : undefined;
    if (known !== undefined) {
      this.u8(known);
      return;
    }
    const n = s.length;
    this.ensure(5 + n * 3);
    const buf = this.buf;
    buf[this.at] = LITERAL;
    const start = this.at + 5;
    // Short ASCII strings (ids, header values) are copied here: cheaper than a call into C++.
    let i = 0;
    if (n <= 128) for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      buf[start + i] = c;
    }
    const written = i === n ? n : buf.write(s, start, 'utf8');
    buf.writeUInt32LE(written, this.at + 1);
    this.at = start + written;
  }

  /** Like `bytes`, for a string's UTF-8 (same layout: the reader gets bytes). */
  utf8(s: string): void {
    this.ensure(4 + s.length * 3);
    const n = this.buf.write(s, this.at + 4, 'utf8');
    this.buf.writeUInt32LE(n, this.at);
    this.at += 4 + n;
  }

  bytes(v: Uint8Array): void {
    this.ensure(4 + v.byteLength);
    this.buf.writeUInt32LE(v.byteLength, this.at);
    this.buf.set(v, this.at + 4);
    this.at += 4 + v.byteLength;
  }

  /** Forget what was written (after `length` bytes: a partial entry). */
  discard(length = 0): void {
    this.at = Math.min(this.at, length);
  }

  /** The bytes written so far in a buffer of their own (transferable); the writer starts over. */
  take(): Uint8Array {
    const out = new Uint8Array(this.at);
    out.set(this.buf.subarray(0, this.at));
    this.at = 0;
    if (this.buf.length > SCRATCH_KEEP_BYTES) this.buf = Buffer.allocUnsafeSlow(this.initial);
    return out;
  }

  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
}

export class PackReader {
  private readonly buf: Buffer;
  private at = 0;

  constructor(bytes: Uint8Array) {
    this.buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  u8(): number {
    return this.buf[this.at++]!;
  }

  u16(): number {
    const v = this.buf.readUInt16LE(this.at);
    this.at += 2;
    return v;
  }

  u32(): number {
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }

  f64(): number {
    const v = this.buf.readDoubleLE(this.at);
    this.at += 8;
    return v;
  }

  str(): string {
    const tag = this.u8();
    if (tag !== LITERAL) return KNOWN[tag]!;
    const n = this.u32();
    const s = this.buf.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }

  /** A view into the packed message (no copy). */
  bytes(): Uint8Array {
    const n = this.u32();
    const v = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

/** True when no payload of `requests` is too large to pack. */
export function packable(requests: readonly WireRequest[]): boolean {
  for (const r of requests) for (const p of r.parameters) if (p.value.byteLength >= PACK_MAX_PAYLOAD) return false;
  return true;
}

function writeHeaders(w: PackWriter, headers: Readonly<Record<string, string>>): void {
  let n = 0;
  for (const _ in headers) n++;
  w.u32(n);
  for (const name in headers) {
    w.str(name);
    w.str(headers[name]!);
  }
}

function readHeaders(r: PackReader): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let n = r.u32(); n > 0; n--) {
    const name = r.str();
    headers[name] = r.str();
  }
  return headers;
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
      w.u32(req.parameters.length);
      for (const p of req.parameters) {
        w.str(p.name);
        w.str(p.contentType);
        w.bytes(p.value);
      }
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
      const parameters: WireRequest['parameters'] = [];
      for (let np = r.u32(); np > 0; np--) {
        const name = r.str();
        const contentType = r.str();
        parameters.push({ name, contentType, value: r.bytes() });
      }
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
