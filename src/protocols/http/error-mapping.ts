/**
 * THE table from error kind to HTTP status, and TorchServe's error body
 * `{"code": <status>, "type": "<Java exception name>", "message": "..."}` (REST JSON).
 * Installed once per listener with `setErrorHandler`; routes never catch errors themselves.
 *
 * Compatibility quirks live here and nowhere else:
 * - a bad token is 400 (`InvalidKeyException`), not 401/403: TorchServe's tests assert it;
 * - a handler exception is 503 "Prediction failed"; a dead/timed-out worker is 500 "Worker died.";
 * - an explicit `err.status` (handler-chosen, TorchServe's `PredictionException`) wins;
 * - an oversized body is 413 with an EMPTY body (Netty's aggregator answer, not an ErrorResponse);
 * - anything that is not a `ServeError` is 500 `InternalServerException`;
 * - nserve addition: 503 UNAVAILABLE (queue full, no worker) carries `Retry-After`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServeError, type ErrorKind } from '../../errors/index.js';
import { sendJson } from './json-reply.js';
import { errorMessage } from '../../util/error-message.js';

export const HTTP_STATUS_BY_KIND: Record<ErrorKind, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  ALREADY_EXISTS: 409,
  PAYLOAD_TOO_LARGE: 413,
  WORKER_DIED: 500,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  PREDICTION_FAILED: 503,
  UNAVAILABLE: 503,
  OUT_OF_RESOURCES: 507,
  // The client is gone; nothing reaches it. 499 is what access logs and metrics record.
  CANCELLED: 499,
};

export interface ErrorResponse {
  code: number;
  type: string;
  message: string;
}

/** What an error becomes on the wire: status plus body (`undefined` = empty body). */
export interface MappedError {
  status: number;
  body: ErrorResponse | undefined;
  /** Extra response headers (`Retry-After` on 503 "unavailable": queue full, no worker). */
  headers?: Record<string, string>;
}

/** Seconds a client should wait after a 503 UNAVAILABLE (queue full / not ready) before retrying. */
export const RETRY_AFTER_SECONDS = 1;

const BODY_TOO_LARGE = 'FST_ERR_CTP_BODY_TOO_LARGE';

/** Pure: any thrown value -> status and TorchServe ErrorResponse. */
export function mapError(err: unknown): MappedError {
  if (err instanceof ServeError) {
    const status = err.status ?? HTTP_STATUS_BY_KIND[err.kind];
    if (err.kind === 'PAYLOAD_TOO_LARGE' && err.status === undefined) return { status, body: undefined };
    const mapped: MappedError = { status, body: { code: status, type: err.tsType, message: err.message } };
    if (err.kind === 'UNAVAILABLE') mapped.headers = { 'retry-after': String(RETRY_AFTER_SECONDS) };
    return mapped;
  }
  const fst = err as Partial<FastifyError> | undefined;
  if (fst?.code === BODY_TOO_LARGE) return { status: 413, body: undefined };
  // fastify's own client errors (bad Content-Length, unsupported media type, ...) keep their 4xx.
  if (typeof fst?.code === 'string' && fst.code.startsWith('FST_') && typeof fst.statusCode === 'number' && fst.statusCode >= 400 && fst.statusCode < 500) {
    return { status: fst.statusCode, body: { code: fst.statusCode, type: 'BadRequestException', message: fst.message ?? 'Bad request' } };
  }
  const message = errorMessage(err);
  return { status: 500, body: { code: 500, type: 'InternalServerException', message } };
}

/** Writes a mapped error on a fastify reply (JSON ErrorResponse, or empty for 413). */
export function sendMappedError(reply: FastifyReply, mapped: MappedError): FastifyReply {
  if (mapped.headers !== undefined) reply.headers(mapped.headers);
  if (mapped.body === undefined) return reply.code(mapped.status).header('content-length', '0').send();
  return sendJson(reply, mapped.status, mapped.body);
}

export interface ErrorLogger {
  error(message: string): void;
  debug?(message: string): void;
}

/** Installs the one error handler on `app` (a listener root). */
export function installErrorHandler(app: FastifyInstance, logger?: ErrorLogger): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const mapped = mapError(err);
    if (mapped.status >= 500 && logger !== undefined) {
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      logger.error(`${request.method} ${request.url} -> ${mapped.status}: ${detail}`);
    }
    if (err instanceof ServeError && err.kind === 'CANCELLED' && request.raw.socket?.destroyed !== false) {
      // Nobody is listening any more.
      reply.hijack();
      reply.raw.destroy();
      return;
    }
    return sendMappedError(reply, mapped);
  });
}

/** The one 404 of every listener. */
export function notFoundBody(): ErrorResponse {
  return { code: 404, type: 'ResourceNotFoundException', message: 'Requested resource is not found, please refer to API document.' };
}

/** The HTTP status of a ServeError (its explicit `status`, else its kind's). */
export function httpStatusOf(err: ServeError): number {
  return err.status ?? HTTP_STATUS_BY_KIND[err.kind];
}
