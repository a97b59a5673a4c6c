/**
 * Headers TorchServe puts on every response it builds (spec §0.2):
 * - `x-request-id`: a fresh UUIDv4 per request (an incoming `x-request-id` is ignored); for
 *   predictions the same id is the request id the handler sees;
 * - cache headers: `Pragma`, `Cache-Control`, `Expires`;
 * - `connection: close` for every status >= 400 (the socket is closed after the response), and
 *   for every response once the listener is draining for a stop;
 * - CORS `Access-Control-Allow-*` headers when configured and not set by the route.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface CorsOptions {
  allowedOrigin?: string;
  allowedMethods?: string;
  allowedHeaders?: string;
}

export const CACHE_HEADERS: Readonly<Record<string, string>> = {
  pragma: 'no-cache',
  'cache-control': 'no-cache; no-store, must-revalidate, private',
  expires: 'Thu, 01 Jan 1970 00:00:00 UTC',
};

export function applyCommonHeaders(request: FastifyRequest, reply: FastifyReply, cors: CorsOptions = {}): void {
  reply.header('x-request-id', request.id);
  for (const [name, value] of Object.entries(CACHE_HEADERS)) reply.header(name, value);
  if (reply.statusCode >= 400) reply.header('connection', 'close');
  setIfAbsent(reply, 'access-control-allow-origin', cors.allowedOrigin);
  setIfAbsent(reply, 'access-control-allow-methods', cors.allowedMethods);
  setIfAbsent(reply, 'access-control-allow-headers', cors.allowedHeaders);
}

function setIfAbsent(reply: FastifyReply, name: string, value: string | undefined): void {
  if (value !== undefined && value !== '' && !reply.hasHeader(name)) reply.header(name, value);
}

export function installCommonHeaders(app: FastifyInstance, cors?: CorsOptions, drain?: { readonly draining: boolean }): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    applyCommonHeaders(request, reply, cors);
    if (drain?.draining === true) reply.header('connection', 'close');
    done(null, payload);
  });
}
