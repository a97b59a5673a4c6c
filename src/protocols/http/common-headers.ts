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

/**
 * The common headers to add to a response of `status` (names lower-case), in order; `has`
 * says whether the route already set a header (CORS headers then stay as the route set them).
 */
export function commonHeaders(requestId: string, status: number, cors: CorsOptions = {}, draining = false, has: (name: string) => boolean = () => false): [string, string][] {
  const out: [string, string][] = [['x-request-id', requestId]];
  for (const name in CACHE_HEADERS) out.push([name, CACHE_HEADERS[name]!]);
  if (status >= 400 || draining) out.push(['connection', 'close']);
  for (const [name, value] of [
    ['access-control-allow-origin', cors.allowedOrigin],
    ['access-control-allow-methods', cors.allowedMethods],
    ['access-control-allow-headers', cors.allowedHeaders],
  ] as const) {
    if (value !== undefined && value !== '' && !has(name)) out.push([name, value]);
  }
  return out;
}

export function applyCommonHeaders(request: FastifyRequest, reply: FastifyReply, cors: CorsOptions = {}, draining = false): void {
  for (const [name, value] of commonHeaders(request.id, reply.statusCode, cors, draining, (n) => reply.hasHeader(n))) reply.header(name, value);
}

export function installCommonHeaders(app: FastifyInstance, cors?: CorsOptions, drain?: { readonly draining: boolean }): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    applyCommonHeaders(request, reply, cors, drain?.draining === true);
    done(null, payload);
  });
}
