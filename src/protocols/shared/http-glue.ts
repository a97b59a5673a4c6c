/**
 * Fastify glue shared by the KServe v1/v2 and Vertex route plugins:
 *
 * - `kserveScope`: each plugin registers its routes inside its own encapsulated context, so
 *   its raw-body parser and its `{"error": "<message>"}` error handler never leak onto the
 *   TorchServe routes of the same listener, however main.ts registers the plugin.
 * - `kserveError`: the status comes from the one HTTP table (`http/error-mapping.ts`); only
 *   the body shape (and KServe's wording for unknown / not-ready models) is KServe's.
 * - request headers and a client-abort signal for `InferenceApi.predict`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CancelledError, ModelNotFoundError, ServeError } from '../../errors/index.js';
import { httpStatusOf } from '../http/error-mapping.js';

export interface KserveErrorReply {
  status: number;
  body: { error: string };
}

/** Pure: error -> status and `{"error": …}` body. */
export function kserveError(err: unknown): KserveErrorReply {
  if (err instanceof ModelNotFoundError) {
    return { status: httpStatusOf(err), body: { error: `Model with name ${err.modelName} does not exist.` } };
  }
  if (err instanceof ServeError) return { status: httpStatusOf(err), body: { error: err.message } };
  const e = err as { statusCode?: unknown; message?: unknown; name?: unknown };
  // Fastify's own errors (malformed body, 413, 415) carry a 4xx statusCode.
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { status: e.statusCode, body: { error: String(e.message) } };
  }
  return { status: 500, body: { error: `${String(e?.name ?? 'Error')} : ${String(e?.message ?? err)}` } };
}

/**
 * Registers `routes` in a fresh encapsulated context with a catch-all raw-buffer body parser
 * (JSON is parsed by the codecs, byte-exact) and the KServe error handler.
 */
export function kserveScope(app: FastifyInstance, routes: (scope: FastifyInstance) => void): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err, request, reply) => {
      if (err instanceof CancelledError) {
        // Nobody is listening any more (as the listener's own error handler does).
        reply.hijack();
        reply.raw.destroy();
        return;
      }
      const { status, body } = kserveError(err);
      if (status >= 500) request.log.error({ err }, 'KServe request failed');
      return sendJson(reply, body, status);
    });
    routes(scope);
  });
}

/** Request headers as `InferenceRequest.headers`, plus TorchServe's injected `explain` / `url_path`. */
export function requestHeaders(request: FastifyRequest, explain: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  headers['explain'] = explain ? 'True' : 'False';
  headers['url_path'] = '';
  return headers;
}

/** Aborted when the client goes away before the reply is written. */
export function clientSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new CancelledError());
  });
  return controller.signal;
}

/** Compact JSON with `content-type: application/json` exactly (no charset), as KServe answers. */
export function sendJson(reply: FastifyReply, value: unknown, status = 200): FastifyReply {
  return reply.code(status).type('application/json').send(Buffer.from(JSON.stringify(value), 'utf8'));
}

export function bodyOf(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
}

/** Request MIME type without parameters, lower-cased. */
export function mimeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function requestIdOf(request: FastifyRequest): string {
  return String(request.id);
}
