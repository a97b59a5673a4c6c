/**
 * The KServe listeners (see kserve-port.ts): extra plain-HTTP listeners on `0.0.0.0:<port>`
 * serving the inference group only (TorchServe inference, KServe v1/v2, health), with the
 * inference group's hooks (token auth) and the same body limit, CORS and access log.
 *
 * They are opened LATE, once the start-up models are loaded, as the TorchServe KServe wrapper
 * did: Knative and KServe Standard mode probe readiness over TCP, so a connect that succeeds
 * must mean "ready". Until then connections are refused.
 */
import type { FastifyInstance } from 'fastify';
import { formatAddress, type Address } from './addresses.js';
import { closeDraining, ConnectionDrain } from './connection-drain.js';
import { createHttpApp, type HttpAppOptions, type HttpLogger, type RoutePlugin } from './http-app.js';
import { describeKservePort, planKservePorts, type KservePortRequest, type PortsInUse } from './kserve-port.js';

export interface KserveListenerOptions extends Omit<HttpAppOptions, 'groups' | 'plugins' | 'https' | 'drain'> {
  /** The inference group's route plugins (the same ones the inference listener serves). */
  inference: RoutePlugin[];
}

export interface StartKserveListenersOptions {
  requests: readonly KservePortRequest[];
  inUse: PortsInUse;
  /** Route plugins, hooks and HTTP options: pass the REST listeners' options unchanged. */
  listener: KserveListenerOptions;
  /** Default `0.0.0.0` (the pod's address: Knative's queue-proxy and kubelet probes connect there). */
  host?: string;
  logger?: HttpLogger;
}

export interface KserveListeners {
  /** The bound ports, in request order. */
  ports: number[];
  /** Stops accepting, drains in-flight requests for up to `drainMs`, then cuts the rest. */
  close(drainMs?: number): Promise<void>;
}

export async function startKserveListeners(options: StartKserveListenersOptions): Promise<KserveListeners> {
  const { logger } = options;
  const host = options.host ?? '0.0.0.0';
  const plan = planKservePorts(options.requests, options.inUse);
  for (const { request, reason, warn } of plan.skipped) {
    const line = `${describeKservePort(request)} ${reason}`;
    if (warn) logger?.warn(line);
    else logger?.info(line);
  }
  if (plan.open.length > 0 && (options.listener.hooks?.inference?.length ?? 0) > 0) {
    logger?.warn('Token authorization is on: KServe clients send no TorchServe key, so predictions on the KServe port get 400 (health paths stay open); start with --disable-token-auth or set disable_token_authorization=true (the torchserve-kfs 0.9.0 image KServe pins had no token auth)');
  }
  const apps: { app: FastifyInstance; drain: ConnectionDrain }[] = [];
  const ports: number[] = [];
  try {
    for (const request of plan.open) {
      const drain = new ConnectionDrain();
      const app = await createHttpApp({ ...options.listener, drain, groups: ['inference'], plugins: { inference: options.listener.inference } });
      apps.push({ app, drain });
      await app.listen({ host, port: request.port });
      const bound = app.server.address();
      const port = typeof bound === 'object' && bound !== null ? bound.port : request.port;
      ports.push(port);
      const address: Address = { scheme: 'http', host, port };
      logger?.info(`Listening on ${formatAddress(address)} (inference, KServe ${describeKservePort(request)}; opened after the start-up models loaded)`);
    }
  } catch (err) {
    await closeApps(apps, 0);
    throw err;
  }
  return { ports, close: (drainMs = 10_000) => closeApps(apps, drainMs) };
}

async function closeApps(apps: readonly { app: FastifyInstance; drain: ConnectionDrain }[], drainMs: number): Promise<void> {
  await Promise.all(apps.map(({ app, drain }) => closeDraining(app, drain, drainMs)));
}
