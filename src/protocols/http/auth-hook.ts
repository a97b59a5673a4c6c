/**
 * The `onRequest` hook that enforces token authorization. main.ts passes it as the
 * `'inference'` group hook (kind `'inference'`) and the `'management'` group hook (kind
 * `'management'`) of `createHttpApp` / `startListeners`, only when `auth.enabled`; or adds it
 * to a fastify instance with `installAuthHook`. The metrics group gets none (TorchServe: no
 * token).
 *
 * Paths that never need a key:
 * - `OPTIONS /` and `/api-description` (TorchServe);
 * - probes, so Kubernetes / Knative / Vertex health checks work without a key that changes at
 *   every start: `/ping` (**deliberate difference**: TorchServe requires the inference key on
 *   `/ping`, which broke health checks, pytorch/serve#3260), `GET /` (KServe v1 liveness),
 *   `/v2/health/live`, `/v2/health/ready`, `GET /v1/models/{m}` (KServe v1 readiness) and
 *   `GET /v2/models/{m}[/versions/{v}]/ready`, plus `exemptPaths` (the Vertex health route);
 * - `/token` on the management listener, which checks the API key itself.
 * Probes reveal only liveness and whether a named model is ready.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TokenAuth, TokenKind } from '../../auth/token-auth.js';

export interface AuthHookOptions {
  /** More exact paths that need no key (e.g. the Vertex health route). */
  exemptPaths?: readonly string[];
}

const PROBES = new Set(['/ping', '/v2/health/live', '/v2/health/ready']);
const V1_READY = /^\/v1\/models\/[^/:]+$/;
const V2_READY = /^\/v2\/models\/[^/]+(\/versions\/[^/]+)?\/ready$/;

/** The path without query string and trailing slashes (TorchServe drops empty trailing segments). */
export function requestPath(url: string): string {
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  while (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/** Pure: whether a request may pass without a key. */
export function isExempt(method: string, url: string, kind: TokenKind, extra: ReadonlySet<string> = new Set()): boolean {
  const path = requestPath(url);
  if (path === '/api-description' || (path === '/' && method === 'OPTIONS')) return true;
  if (extra.has(path)) return true;
  if (kind === 'management' && path === '/token') return true;
  if (PROBES.has(path)) return true;
  const read = method === 'GET' || method === 'HEAD';
  if (read && (path === '/' || V1_READY.test(path) || V2_READY.test(path))) return true;
  return false;
}

/**
 * An async `onRequest` hook: usable directly with `app.addHook('onRequest', …)` and as a
 * `RequestHook` of `createHttpApp`'s `hooks` (which skips routes marked `nservePublic`).
 * Rejects with `UnauthenticatedError`.
 */
export function createAuthHook(auth: Pick<TokenAuth, 'validate'>, kind: TokenKind, options: AuthHookOptions = {}): (request: FastifyRequest) => Promise<void> {
  const extra = new Set(options.exemptPaths ?? []);
  return async (request) => {
    if (!isExempt(request.method, request.url, kind, extra)) auth.validate(kind, request.headers.authorization);
  };
}

/** Adds the hook to `app` when token authorization is enabled. */
export function installAuthHook(app: FastifyInstance, auth: Pick<TokenAuth, 'validate' | 'enabled'>, kind: TokenKind, options?: AuthHookOptions): void {
  if (auth.enabled) app.addHook('onRequest', createAuthHook(auth, kind, options));
}
