/**
 * A front-end thread (worker_threads entry): one event loop of the inference listener, as one of
 * TorchServe's Netty threads (`number_of_netty_threads`). When the main thread steers new
 * connections its way (steering.ts) it accepts on its own duplicate of the shared inference
 * socket (shared-socket.ts, listen-gate.ts), and it serves the whole inference API with the same
 * fastify app the main thread would build (routes, token check, limits, error mapping, common
 * headers), over an `InferenceProxy`: predictions and status reads go to the main thread, which
 * owns the models, queues and workers.
 *
 * Messages (front-end-pack.ts): packs both ways; from the main thread `accept` / `pause` (take
 * new connections or not; answered by `accepting`), `key` (token refreshed), `collect` (send the
 * response counts for a metrics scrape) and `close` (stop accepting, drain, report the last
 * counts, end: the main thread waits for the thread's exit). To the main thread, besides: `ready`
 * once it can accept at once, and `connections` whenever its open-connection figure (capped)
 * changes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createKeyMirror, type TokenKey, type TokenKind } from '../auth/token-auth.js';
import { createConsoleLogger, type LogLevel } from '../cli/logger.js';
import { createAuthHook } from '../protocols/http/auth-hook.js';
import type { CorsOptions } from '../protocols/http/common-headers.js';
import { closeDraining, ConnectionDrain } from '../protocols/http/connection-drain.js';
import { createHttpApp, type ApiGroup, type RequestHook, type RoutePlugin } from '../protocols/http/http-app.js';
import { tokenRoutes } from '../protocols/http/token-routes.js';
import { metricsRoutes } from '../protocols/metrics/routes.js';
import { torchServeManagementRoutes } from '../protocols/torchserve/management-routes.js';
import { openApiDocument } from '../protocols/torchserve/openapi.js';
import type { FrontEndToMain, MainToFrontEnd } from './front-end-pack.js';
import { InferenceProxy } from './inference-proxy.js';
import { remoteManagement } from './management-calls.js';
import { inferenceRoutePlugins, type InferenceRoutesSpec } from './inference-plugins.js';
import { ListenGate } from './listen-gate.js';
import { SocketPool } from './shared-socket.js';
import { errorMessage } from '../util/error-message.js';

/** `workerData` of a front-end thread (structured-clone safe). */
export interface FrontEndThreadData {
  /** The spare descriptor of the inference socket, copied for every listening period (shared-socket.ts). */
  sourceFd: number;
  /** Take connections from the start (else wait for `accept`). */
  accept: boolean;
  /** Report open connections up to this many (the main thread needs no more to steer). */
  connectionsCap: number;
  /** The API groups of the listener: inference, and management / metrics when they share its address. */
  groups: ApiGroup[];
  routes: InferenceRoutesSpec;
  /** With the management group: its route options (the calls go to the main thread). */
  management?: { enableModelApi: boolean; kserveReadiness: boolean };
  /** With the metrics group: the exposition's content type (the text comes from the main thread). */
  metricsContentType?: string;
  maxRequestSize: number;
  cors: CorsOptions;
  /** fastify `https` options (PEM key/cert or pfx) for an https inference address. */
  https?: Record<string, unknown>;
  logLevel: LogLevel;
  /** Present when token authorization is on: the current keys and the paths that need none. */
  auth?: { keys: Record<TokenKind, TokenKey>; exemptPaths: string[] };
  /** Milliseconds between unsolicited response-count reports. */
  countsIntervalMs: number;
}

const port = parentPort;
if (port === null) throw new Error('front-end-thread.js must run in a worker thread');
const data = workerData as FrontEndThreadData;
const post = (message: FrontEndToMain, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);

const logger = createConsoleLogger({ level: data.logLevel });
const proxy = new InferenceProxy((bytes) => post({ type: 'pack', bytes }, [bytes.buffer as ArrayBuffer]));
const mirrors = data.auth === undefined ? undefined : { inference: createKeyMirror('inference', data.auth.keys.inference), management: createKeyMirror('management', data.auth.keys.management) };
const management = remoteManagement((method, args) => proxy.call(method, args));
const plugins: Partial<Record<ApiGroup, RoutePlugin[]>> = { inference: inferenceRoutePlugins(data.routes, proxy, logger) };
if (data.management !== undefined) {
  plugins.management = [
    torchServeManagementRoutes({ management, ...data.management }),
    tokenRoutes({ auth: { enabled: data.auth !== undefined, refresh: (type, authorization) => proxy.call('token.refresh', [type, authorization]) } }),
  ];
}
if (data.metricsContentType !== undefined) {
  const contentType = data.metricsContentType;
  plugins.metrics = [metricsRoutes({ metrics: { contentType, exposition: (names) => proxy.call('metrics.exposition', [names]) } })];
}
const hooks: Partial<Record<ApiGroup, RequestHook[]>> = {};
if (mirrors !== undefined) {
  const exemptPaths = data.auth!.exemptPaths;
  hooks.inference = [createAuthHook(mirrors.inference, 'inference', { exemptPaths })];
  hooks.management = [createAuthHook(mirrors.management, 'management')];
}

/** Responses written since the last report, by status (Requests2XX/4XX/5XX live on the main thread). */
const counts = new Map<number, number>();
const report = (id: number): void => {
  const flat: number[] = [];
  for (const [status, n] of counts) flat.push(status, n);
  counts.clear();
  if (flat.length > 0 || id !== 0) post({ type: 'counts', id, counts: flat });
};
const reporting = setInterval(() => report(0), data.countsIntervalMs);
reporting.unref();

const drain = new ConnectionDrain();
const app = await createHttpApp({
  groups: data.groups,
  plugins,
  hooks,
  maxRequestSize: data.maxRequestSize,
  apiDescription: (groups) => openApiDocument(groups, data.routes.version),
  cors: data.cors,
  ...(data.https === undefined ? {} : { https: data.https }),
  logger: logger.enabled('debug') ? logger : { info: logger.info, warn: logger.warn, error: logger.error },
  onResponseStatus: (status) => counts.set(status, (counts.get(status) ?? 0) + 1),
  drain,
});

await app.ready();
const pool = new SocketPool(data.sourceFd, { onError: (err) => logger.warn(`front-end thread: no spare socket descriptor: ${errorMessage(err)}`) });
await pool.fill();
let reported = 0;
const gate = new ListenGate(app.server, pool, {
  onCount: (open) => {
    const capped = Math.min(open, data.connectionsCap);
    if (capped !== reported) post({ type: 'connections', open: (reported = capped) });
  },
  onError: (err) => logger.error(`front-end thread: inference listener: ${err.message}`),
});
const accept = (): void => gate.accept(() => post({ type: 'accepting' }));
// Messages wait in the port until this listener is attached.
port.on('message', (message: MainToFrontEnd) => {
  switch (message.type) {
    case 'pack':
      proxy.receive(message.bytes);
      break;
    case 'key':
      mirrors?.[message.kind].update(message.key);
      break;
    case 'collect':
      report(message.id);
      break;
    case 'accept':
      accept();
      break;
    case 'pause':
      gate.pause();
      break;
    case 'close':
      gate.end();
      void closeDraining(app, drain, message.drainMs).finally(() => {
        clearInterval(reporting);
        report(0);
        proxy.failAll(new Error('the front-end thread stopped'));
        port.close();
      });
      break;
  }
});

post({ type: 'ready' });
if (data.accept) accept();
