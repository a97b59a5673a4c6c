/**
 * One fastify instance = one TorchServe "connector": it serves one or more API groups
 * (inference, management, metrics). Route plugins of each group are registered in their own
 * encapsulated context, so a group's request hooks (token auth) apply to that group's routes
 * only — on a combined inference+management listener each route is checked against its own
 * key, which TorchServe's combined mode cannot do.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { installBodyReply } from './body-reply.js';
import { installCommonHeaders, type CorsOptions } from './common-headers.js';
import type { ConnectionDrain } from './connection-drain.js';
import { installErrorHandler, notFoundBody, sendMappedError } from './error-mapping.js';
import { MethodNotAllowedError } from '../../errors/index.js';
import { installRawBodyParser } from './raw-body.js';
import { restJson } from './rest-json.js';
import { sendJson } from './json-reply.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Route needs no token even when its group has auth hooks (`/ping`, API descriptions). */
    nservePublic?: boolean;
  }
}

/** A set of routes to mount. `request.body` is always a `Buffer` (see raw-body.ts). */
export type RoutePlugin = (app: FastifyInstance) => void | Promise<void>;

export type ApiGroup = 'inference' | 'management' | 'metrics';

/** An `onRequest` hook of a group (e.g. token auth). Throw a ServeError to reject. */
export type RequestHook = (request: FastifyRequest, reply: FastifyReply) => void | Promise<void>;

export interface HttpLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

export interface HttpAppOptions {
  /** Groups served by this instance, in TorchServe's dispatch order. */
  groups: ApiGroup[];
  plugins: Partial<Record<ApiGroup, RoutePlugin[]>>;
  hooks?: Partial<Record<ApiGroup, RequestHook[]>>;
  /** `max_request_size` in bytes; bigger bodies get 413 with an empty body. */
  maxRequestSize: number;
  /** OpenAPI document for `OPTIONS /` and `/api-description` given the groups served. */
  apiDescription?: (groups: ApiGroup[]) => unknown;
  cors?: CorsOptions;
  /** fastify `https` server options (key/cert or pfx/passphrase). */
  https?: Record<string, unknown>;
  logger?: HttpLogger;
  /** Requests2XX/4XX/5XX; the 413 of an oversized body is not counted (as TorchServe). */
  onResponseStatus?: (status: number) => void;
  /** Graceful-stop bookkeeping of this listener (see connection-drain.ts). */
  drain?: ConnectionDrain;
}

export const METHODS_EXCEPT_OPTIONS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'TRACE'] as const;

export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = fastify({
    logger: false,
    bodyLimit: options.maxRequestSize,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    exposeHeadRoutes: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    clientErrorHandler: writeInvalidHttpMessage,
    ...(options.https === undefined ? {} : { https: options.https }),
  } as Parameters<typeof fastify>[0]) as unknown as FastifyInstance;

  installRawBodyParser(app);
  options.drain?.attach(app.server);
  installCommonHeaders(app, options.cors, options.drain);
  installErrorHandler(app, options.logger);
  app.setNotFoundHandler((_request, reply) => sendMappedError(reply, { status: 404, body: notFoundBody() }));
  installResponseLog(app, options);
  installBodyReply(app, options.cors, options.drain);

  const describe = options.apiDescription;
  if (describe !== undefined) {
    const doc = (reply: FastifyReply) => sendJson(reply, 200, describe(options.groups));
    app.route({ method: 'OPTIONS', url: '/', config: { nservePublic: true }, handler: (_q, reply) => doc(reply) });
    app.route({ method: [...METHODS_EXCEPT_OPTIONS, 'OPTIONS'], url: '/api-description', config: { nservePublic: true }, handler: (_q, reply) => doc(reply) });
  }
  if (options.groups.includes('inference') || options.groups.includes('management')) {
    app.route({ method: [...METHODS_EXCEPT_OPTIONS], url: '/', handler: async () => { throw new MethodNotAllowedError(); } });
  }

  for (const group of options.groups) {
    const plugins = options.plugins[group] ?? [];
    const hooks = options.hooks?.[group] ?? [];
    if (plugins.length === 0) continue;
    await app.register(async (context) => {
      for (const hook of hooks) {
        context.addHook('onRequest', async (request, reply) => {
          if (request.routeOptions.config.nservePublic === true) return;
          await hook(request, reply);
        });
      }
      for (const plugin of plugins) await context.register(async (child) => plugin(child));
    });
  }
  await app.ready();
  return app;
}

/** Per-response bookkeeping; runs for `sendBody` answers too (fastify calls onResponse for hijacked replies). */
function installResponseLog(app: FastifyInstance, options: HttpAppOptions): void {
  const { logger, onResponseStatus, drain } = options;
  if (logger?.debug === undefined && onResponseStatus === undefined && drain === undefined) return;
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    if (onResponseStatus !== undefined && !(status === 413 && reply.getHeader('content-length') === '0')) onResponseStatus(status);
    logger?.debug?.(`${request.ip} "${request.method} ${request.url} HTTP/${request.raw.httpVersion}" ${status} ${Math.round(reply.elapsedTime)}`);
    if (drain?.draining === true) drain.responded();
    done();
  });
}

/** Malformed HTTP: TorchServe answers 400 `Invalid HTTP message.` and closes. */
function writeInvalidHttpMessage(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const body = restJson({ code: 400, type: 'BadRequestException', message: 'Invalid HTTP message.' });
    socket.write(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
