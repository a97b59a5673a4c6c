/**
 * The packed messages between a front-end thread and the main thread (front-end-threads.ts).
 * Each side collects what it has to say during one event-loop turn in a `PackOutbox` and posts
 * ONE transferred buffer per turn (util/byte-pack.ts), the way the worker hop does: no
 * structured-clone walk per request, payloads read back as views.
 *
 * A pack is a sequence of entries until its end, each a u8 tag then its fields:
 *
 *   front end -> main
 *     REQUEST  u32 id, str model, u8 has version, [str version], u8 explain, str requestId,
 *              headers, u32 parameters, (str name, str contentType, bytes value)*
 *     CANCEL   u32 id                      the client went away
 *     CALL     u32 id, str method, str JSON(arguments)   (status reads, management, /token, /metrics)
 *   main -> front end
 *     BODY     u32 id, u16 status, u8 has content type, [str contentType], headers, bytes body
 *     HEAD     u32 id, u16 status, u8 has content type, [str contentType], headers   (a stream starts)
 *     CHUNK    u32 id, bytes chunk
 *     END      u32 id                      the stream ended
 *     ERROR    u32 id, str JSON(WireError) the request (or its stream) failed
 *     VALUE    u32 id, str JSON(value)     a CALL's answer
 */
import type { WireError } from '../errors/wire.js';
import type { InferenceRequest, InferenceResult } from '../inference/types.js';
import { PackReader, PackWriter, readHeaders, readParameters, writeHeaders, writeParameters } from '../util/byte-pack.js';

export const TAG = { REQUEST: 1, CANCEL: 2, CALL: 3, BODY: 4, HEAD: 5, CHUNK: 6, END: 7, ERROR: 8, VALUE: 9 } as const;

/**
 * What a front end may ask the main thread besides predictions, by name: the inference status
 * reads, and on a listener that also serves them, the management API, `/token` and `/metrics`.
 * Arguments and answers travel as JSON (`undefined` arguments arrive as `undefined`).
 */
export type CallMethod =
  | 'health' | 'modelStatus' | 'modelNames'
  | 'management.register' | 'management.scale' | 'management.describe' | 'management.list' | 'management.unregister' | 'management.setDefault'
  | 'token.refresh' | 'metrics.exposition';

/** The control messages besides packs (structured clone: rare). */
export type MainToFrontEnd =
  | { type: 'pack'; bytes: Uint8Array }
  /** A token key changed (`/token?type=...`). */
  | { type: 'key'; kind: 'inference' | 'management'; key: { key: string; expiresAt?: number } }
  /** Send the response counts now (a metrics scrape is waiting). */
  | { type: 'collect'; id: number }
  /** Take new connections (steering.ts): listen on a fresh duplicate of the socket. */
  | { type: 'accept' }
  /** Stop taking new connections; the open ones are served on. */
  | { type: 'pause' }
  /** Stop accepting, drain for up to `drainMs`, report the last counts, end the thread. */
  | { type: 'close'; drainMs: number };

export type FrontEndToMain =
  | { type: 'pack'; bytes: Uint8Array }
  /** The app is built and the thread's duplicates are made: it can accept at once. */
  | { type: 'ready' }
  /** It takes new connections now (after `accept`, or at start when told to). */
  | { type: 'accepting' }
  /** Its open connections, counted up to the cap it was given, whenever that figure changes. */
  | { type: 'connections'; open: number }
  /** Responses written since the last report, as [status, count, status, count, ...]. */
  | { type: 'counts'; id: number; counts: number[] };

/**
 * Collects one turn's entries and posts them as one pack at the end of the turn (`setImmediate`
 * runs after the turn's I/O callbacks). Entries written in a turn keep their order.
 */
export class PackOutbox {
  readonly w = new PackWriter();
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  constructor(private readonly post: (bytes: Uint8Array) => void) {}

  /** Call before writing an entry. */
  entry(tag: number, id: number): PackWriter {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    this.w.u8(tag);
    this.w.u32(id);
    return this.w;
  }

  flush(): void {
    this.scheduled = false;
    if (this.w.length === 0) return;
    this.post(this.w.take());
  }
}

function writeOptional(w: PackWriter, s: string | undefined): void {
  if (s === undefined) w.u8(0);
  else {
    w.u8(1);
    w.str(s);
  }
}

function readOptional(r: PackReader): string | undefined {
  return r.u8() === 1 ? r.str() : undefined;
}

export function writeRequest(out: PackOutbox, id: number, model: string, version: string | undefined, request: InferenceRequest, explain: boolean): void {
  const w = out.entry(TAG.REQUEST, id);
  w.str(model);
  writeOptional(w, version);
  w.u8(explain ? 1 : 0);
  w.str(request.requestId);
  writeHeaders(w, request.headers);
  writeParameters(w, request.parameters);
}

export function writeCall(out: PackOutbox, id: number, method: CallMethod, args: readonly unknown[]): void {
  const w = out.entry(TAG.CALL, id);
  w.str(method);
  // JSON has no `undefined`: positions are kept as null and read back as undefined.
  w.utf8(JSON.stringify(args));
}

function writeHead(w: PackWriter, result: InferenceResult): void {
  w.u16(result.status);
  writeOptional(w, result.contentType);
  writeHeaders(w, result.headers);
}

export function writeBody(out: PackOutbox, id: number, result: InferenceResult): void {
  const w = out.entry(TAG.BODY, id);
  writeHead(w, result);
  w.bytes(result.body ?? new Uint8Array(0));
}

export function writeStreamHead(out: PackOutbox, id: number, result: InferenceResult): void {
  writeHead(out.entry(TAG.HEAD, id), result);
}

export function writeChunk(out: PackOutbox, id: number, chunk: Uint8Array): void {
  out.entry(TAG.CHUNK, id).bytes(chunk);
}

export function writeJson(out: PackOutbox, tag: typeof TAG.ERROR | typeof TAG.VALUE, id: number, value: WireError | unknown): void {
  out.entry(tag, id).utf8(JSON.stringify(value ?? null));
}

/** What a reader of either direction gets per entry. */
export interface PackVisitor {
  request?(id: number, model: string, version: string | undefined, request: InferenceRequest, explain: boolean): void;
  cancel?(id: number): void;
  call?(id: number, method: CallMethod, args: unknown[]): void;
  head?(id: number, result: InferenceResult): void;
  body?(id: number, result: InferenceResult): void;
  chunk?(id: number, chunk: Uint8Array): void;
  end?(id: number): void;
  error?(id: number, error: WireError): void;
  value?(id: number, value: unknown): void;
}

function readHead(r: PackReader): InferenceResult {
  const status = r.u16();
  const contentType = readOptional(r);
  const result: InferenceResult = { status, headers: readHeaders(r) };
  if (contentType !== undefined) result.contentType = contentType;
  return result;
}

function readJson(r: PackReader): unknown {
  return JSON.parse(Buffer.from(r.bytes()).toString('utf8'));
}

/** Reads every entry of a pack in order; payloads are views into `bytes`. */
export function readPack(bytes: Uint8Array, v: PackVisitor): void {
  const r = new PackReader(bytes);
  while (!r.done) {
    const tag = r.u8();
    const id = r.u32();
    switch (tag) {
      case TAG.REQUEST: {
        const model = r.str();
        const version = readOptional(r);
        const explain = r.u8() === 1;
        const requestId = r.str();
        const headers = readHeaders(r);
        const parameters = readParameters(r);
        v.request?.(id, model, version, { requestId, headers, parameters }, explain);
        break;
      }
      case TAG.CANCEL:
        v.cancel?.(id);
        break;
      case TAG.CALL: {
        const method = r.str() as CallMethod;
        const args = (readJson(r) as unknown[]).map((a) => (a === null ? undefined : a));
        v.call?.(id, method, args);
        break;
      }
      case TAG.BODY: {
        const result = readHead(r);
        result.body = r.bytes();
        v.body?.(id, result);
        break;
      }
      // Fields are read before the (optional) visit: a visitor without a handler still skips them.
      case TAG.HEAD: {
        const head = readHead(r);
        v.head?.(id, head);
        break;
      }
      case TAG.CHUNK: {
        const chunk = r.bytes();
        v.chunk?.(id, chunk);
        break;
      }
      case TAG.END:
        v.end?.(id);
        break;
      case TAG.ERROR: {
        const error = readJson(r) as WireError;
        v.error?.(id, error);
        break;
      }
      case TAG.VALUE: {
        const value = readJson(r);
        v.value?.(id, value);
        break;
      }
      default:
        throw new Error(`front-end pack: unknown entry tag ${tag}`);
    }
  }
}
