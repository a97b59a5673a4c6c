/**
 * Body handling shared by every listener: all bodies, whatever their content type, arrive as
 * one `Buffer` (TorchServe aggregates the whole request before routing). Routes decode it
 * themselves (JSON, multipart, urlencoded), so a malformed JSON body can never be rejected
 * before the route that knows what to do with it runs.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';

const EMPTY = Buffer.alloc(0);

export function installRawBodyParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });
}

/** The request body as bytes; empty when the request had none (GET, HEAD, no Content-Length). */
export function rawBody(request: FastifyRequest): Buffer {
  return Buffer.isBuffer(request.body) ? request.body : EMPTY;
}
