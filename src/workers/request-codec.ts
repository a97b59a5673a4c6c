/**
 * Worker-side decoding of requests and encoding of handler results, as TorchServe's Python
 * worker does it (§1.3, §1.4 of the spec):
 * - a parameter whose content type is exactly `application/json` is parsed (raw bytes when it
 *   does not parse), `text/*` becomes a string, anything else a `Buffer`;
 * - `body` is the `body` parameter, else `data`, else the first parameter;
 * - results: string → UTF-8, bytes → raw, other values → `JSON.stringify(v, null, 2)` (Python's
 *   `json.dumps(indent=2)`: no trailing newline). An `Error` result fails that request only.
 */
import { PredictionError } from '../errors/index.js';
import type { HandlerRequest } from '../handlers/handler.js';
import type { WireParameter, WireRequest } from './messages.js';

const utf8 = new TextDecoder();
const encoder = new TextEncoder();

export function decodeParameter(p: WireParameter): unknown {
  const buf = Buffer.from(p.value.buffer, p.value.byteOffset, p.value.byteLength);
  if (p.contentType === 'application/json') {
    try {
      return JSON.parse(utf8.decode(p.value));
    } catch {
      return buf;
    }
  }
  if (p.contentType.startsWith('text')) return utf8.decode(p.value);
  return buf;
}

export function decodeRequest(r: WireRequest): HandlerRequest {
  const parameters: Record<string, unknown> = {};
  for (const p of r.parameters) parameters[p.name] = decodeParameter(p);
  let body: unknown;
  if (Object.prototype.hasOwnProperty.call(parameters, 'body')) body = parameters.body;
  else if (Object.prototype.hasOwnProperty.call(parameters, 'data')) body = parameters.data;
  else if (r.parameters.length > 0) body = parameters[r.parameters[0]!.name];
  return { requestId: r.requestId, body, headers: r.headers, parameters };
}

export function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !(v instanceof Uint8Array) &&
    typeof (v as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** A fresh, exactly-sized copy we own (so its buffer can be transferred). */
function ownedCopy(view: ArrayBufferView): Uint8Array {
  const out = new Uint8Array(view.byteLength);
  out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
  return out;
}

/**
 * The body of one non-stream, non-Error result: its text (a string, or JSON for other values),
 * or the handler's own bytes (not copied). Throws PredictionError when not serialisable.
 */
export function encodeBody(v: unknown): string | Uint8Array {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  let text: string | undefined;
  try {
    text = JSON.stringify(ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v, null, 2);
  } catch {
    throw new PredictionError('Unsupported model output data type.');
  }
  return text ?? 'null';
}

/** A body as bytes in a buffer of their own (so it can be transferred). */
export function ownedBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? encoder.encode(body) : ownedCopy(body);
}

/** Encode one non-stream, non-Error result to bytes. Throws PredictionError when not serialisable. */
export function encodeValue(v: unknown): Uint8Array {
  return ownedBytes(encodeBody(v));
}

/** Encode one streamed chunk (string or bytes). */
export function encodeChunk(v: unknown): Uint8Array {
  if (typeof v === 'string') return encoder.encode(v);
  if (v instanceof Uint8Array) return ownedCopy(v);
  return encodeValue(v);
}
