/**
 * A small binary packing kit for messages between threads: `PackWriter` appends to a reusable
 * scratch buffer and `take()`s one exact-size, transferable buffer; `PackReader` reads it back,
 * payloads as views (no copy). Layout, little-endian; `str` = u8 index into `KNOWN`, or 255 then
 * u32 byte length + UTF-8; `bytes` = u32 length + bytes; headers = u32 count, (str, str)*.
 * Used by the worker hop (workers/wire-pack.ts) and the front-end hop (front-end/front-end-pack.ts).
 */

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

export function writeHeaders(w: PackWriter, headers: Readonly<Record<string, string>>): void {
  let n = 0;
  for (const _ in headers) n++;
  w.u32(n);
  for (const name in headers) {
    w.str(name);
    w.str(headers[name]!);
  }
}

export function readHeaders(r: PackReader): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let n = r.u32(); n > 0; n--) {
    const name = r.str();
    headers[name] = r.str();
  }
  return headers;
}

/** A request parameter as both hops pack it (`InferenceRequest.parameters`, `WireRequest.parameters`). */
export interface PackedParameter {
  name: string;
  contentType: string;
  value: Uint8Array;
}

/** u32 count, then (str name, str contentType, bytes value) per parameter. */
export function writeParameters(w: PackWriter, parameters: readonly PackedParameter[]): void {
  w.u32(parameters.length);
  for (const p of parameters) {
    w.str(p.name);
    w.str(p.contentType);
    w.bytes(p.value);
  }
}

/** The values are views into the packed bytes (no copy). */
export function readParameters(r: PackReader): PackedParameter[] {
  const parameters: PackedParameter[] = [];
  for (let n = r.u32(); n > 0; n--) {
    const name = r.str();
    const contentType = r.str();
    parameters.push({ name, contentType, value: r.bytes() });
  }
  return parameters;
}
