/**
 * TorchServe's token API on the management listener: `/token?type=management|inference` with
 * `Authorization: Bearer <API key>` regenerates that key (new expiry) and rewrites
 * `key_file.json`; the reply is 200 with a body of a single newline, `application/json`, as
 * TorchServe sends. A wrong `type` or key throws `UnauthenticatedError` ("Token Authentication
 * failed …"), rendered 400 by the listener's error handler. When token authorization is
 * disabled no route is registered, so `/token` answers the listener's 404, as TorchServe.
 */
import type { FastifyInstance } from 'fastify';
import type { TokenAuth } from '../../auth/token-auth.js';

export interface TokenRoutesOptions {
  auth: Pick<TokenAuth, 'enabled' | 'refresh'>;
}

export function tokenRoutes(options: TokenRoutesOptions): (app: FastifyInstance) => void {
  const { auth } = options;
  return (app) => {
    if (!auth.enabled) return;
    app.all('/token', async (request, reply) => {
      const type = (request.query as Record<string, unknown> | undefined)?.['type'];
      await auth.refresh(Array.isArray(type) ? type[0] : type, request.headers.authorization);
      return reply.type('application/json').send(Buffer.from('\n'));
    });
  };
}
