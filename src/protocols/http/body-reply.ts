/**
 * The short way out for a full-body answer (a prediction's bytes): `reply.sendBody(answer)`
 * writes status, headers and body straight to Node's response, bypassing fastify's send
 * pipeline (payload type checks, content-type defaults, the `onSend` hook chain). It applies
 * exactly what that pipeline would for such an answer: the common headers (common-headers.ts)
 * and `content-length`. The listener's `onResponse` bookkeeping (status metric, access log,
 * drain) still runs: fastify calls it for hijacked replies too.
 *
 * A body up to `ONE_WRITE_MAX_BYTES` goes out as a Latin-1 string (one byte per character, so
 * the bytes are unchanged): Node then sends head and body in one `write`, not a `writev` of two
 * buffers. At tens of thousands of small answers per second this is the main thread's largest
 * single saving after the socket write itself.
 *
 * Header names and values are validated before anything is written: a bad one (a handler's
 * choice) is thrown as an error, and the listener's error handler answers as for any other.
 */
import { validateHeaderName, validateHeaderValue, type OutgoingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { commonHeaders, type CorsOptions } from './common-headers.js';

declare module 'fastify' {
  interface FastifyReply {
    /** Send a complete answer (see body-reply.ts). The reply is hijacked: return nothing after it. */
    sendBody(answer: BodyAnswer): void;
  }
}

export interface BodyAnswer {
  status: number;
  /** Extra response headers (any case). */
  headers: Readonly<Record<string, string>>;
  /** Undefined: no Content-Type header at all (TorchServe's default for predictions). */
  contentType: string | undefined;
  body: Uint8Array;
}

export const ONE_WRITE_MAX_BYTES = 16 * 1024;

/** Statuses whose responses carry no body (RFC 9110 §6.4.1; fastify drops the body headers too). */
const bodiless = (status: number): boolean => status < 200 || status === 204 || status === 304;

export function installBodyReply(app: FastifyInstance, cors?: CorsOptions, drain?: { readonly draining: boolean }): void {
  app.decorateReply('sendBody', function sendBody(this: FastifyReply, answer: BodyAnswer): void {
    this.code(answer.status); // validates the status (throws before anything is written)
    const headers: OutgoingHttpHeaders = {};
    for (const name in answer.headers) {
      const value = answer.headers[name]!;
      validateHeaderName(name);
      validateHeaderValue(name, value);
      headers[name.toLowerCase()] = value;
    }
    const status = answer.status;
    const hasBody = !bodiless(status);
    if (answer.contentType !== undefined && hasBody) {
      validateHeaderValue('content-type', answer.contentType);
      headers['content-type'] = answer.contentType;
    }
    else delete headers['content-type'];
    for (const [name, value] of commonHeaders(this.request.id, status, cors, drain?.draining === true, (n) => headers[n] !== undefined)) headers[name] = value;
    const body = answer.body;
    if (hasBody) headers['content-length'] = String(body.byteLength);
    else delete headers['content-length'];
    this.hijack();
    const res = this.raw;
    res.writeHead(status, headers);
    if (!hasBody || body.byteLength === 0) res.end();
    else if (body.byteLength <= ONE_WRITE_MAX_BYTES) res.end(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'), 'latin1');
    else res.end(body);
  });
}
