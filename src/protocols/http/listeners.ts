/**
 * The REST listeners: `inference_address`, `management_address` and (when the metrics API is
 * enabled) `metrics_address`. Addresses that are the same host:port (or unix path) share ONE
 * listener serving all their groups, as TorchServe's combined connector (KServe's sample
 * config uses `inference_address=management_address=http://0.0.0.0:8085`); such a combined
 * inference+management listener also serves the metrics routes, as TorchServe does.
 */
import type { FastifyInstance } from 'fastify';
import { ConfigError } from '../../errors/index.js';
import { boundAddress, formatAddress, isHttps, listenOptions, sameListener, type Address } from './addresses.js';
import { closeDraining, ConnectionDrain } from './connection-drain.js';
import { createHttpApp, type ApiGroup, type HttpAppOptions, type RoutePlugin } from './http-app.js';

export type { ApiGroup, HttpLogger, RequestHook, RoutePlugin } from './http-app.js';

export interface StartListenersOptions extends Omit<HttpAppOptions, 'groups' | 'plugins' | 'https' | 'drain'> {
  inferenceAddress: Address;
  managementAddress: Address;
  /** Undefined when the metrics API is disabled (`enable_metrics_api=false`). */
  metricsAddress?: Address;
  inference: RoutePlugin[];
  management: RoutePlugin[];
  metrics: RoutePlugin[];
  /** Server TLS material for `https://` addresses: `{key, cert}` PEM or `{pfx, passphrase}`. */
  tls?: Record<string, unknown>;
}

export interface RunningListener {
  groups: ApiGroup[];
  address: Address;
  /** The bound TCP port (useful with port 0); undefined for unix sockets. */
  port: number | undefined;
  app: FastifyInstance;
  drain: ConnectionDrain;
}

export interface Listeners {
  listeners: RunningListener[];
  /** The listener serving `group`, if any. */
  find(group: ApiGroup): RunningListener | undefined;
  /**
   * Stops accepting, lets in-flight requests finish for up to `drainMs`, then closes the
   * remaining connections. Keep-alive connections do not hold the stop: their answers say
   * `connection: close` and idle ones are closed as soon as they are idle. Listeners are
   * closed in reverse order of start.
   */
  close(drainMs?: number): Promise<void>;
}

interface Plan {
  address: Address;
  groups: ApiGroup[];
}

/** Pure: which listeners to open and which groups each serves. */
export function planListeners(inference: Address, management: Address, metrics: Address | undefined): Plan[] {
  const plans: Plan[] = [];
  const add = (address: Address, group: ApiGroup): void => {
    const found = plans.find((p) => sameListener(p.address, address));
    if (found === undefined) plans.push({ address, groups: [group] });
    else if (!found.groups.includes(group)) found.groups.push(group);
  };
  add(inference, 'inference');
  add(management, 'management');
  if (metrics !== undefined) {
    const combined = plans.find((p) => p.groups.includes('inference') && p.groups.includes('management'));
    if (combined !== undefined) combined.groups.push('metrics');
    add(metrics, 'metrics');
  }
  return plans;
}

export async function startListeners(options: StartListenersOptions): Promise<Listeners> {
  const plans = planListeners(options.inferenceAddress, options.managementAddress, options.metricsAddress);
  const running: RunningListener[] = [];
  const listeners: Listeners = {
    listeners: running,
    find: (group) => running.find((l) => l.groups.includes(group)),
    close: (drainMs = 10_000) => closeAll(running, drainMs),
  };
  try {
    for (const plan of plans) {
      const https = isHttps(plan.address) ? requireTls(plan, options.tls) : undefined;
      const drain = new ConnectionDrain();
      const app = await createHttpApp({
        ...options,
        drain,
        groups: plan.groups,
        plugins: { inference: options.inference, management: options.management, metrics: options.metrics },
        ...(https === undefined ? {} : { https }),
      });
      running.push({ groups: plan.groups, address: plan.address, port: undefined, app, drain });
      await app.listen(listenOptions(plan.address));
      const bound = app.server.address();
      const entry = running[running.length - 1]!;
      entry.port = typeof bound === 'object' && bound !== null ? bound.port : undefined;
      options.logger?.info(`Listening on ${formatAddress(boundAddress(plan.address, entry.port))} (${plan.groups.join(', ')})`);
    }
  } catch (err) {
    await closeAll(running, 0);
    throw err;
  }
  return listeners;
}

function requireTls(plan: Plan, tls: Record<string, unknown> | undefined): Record<string, unknown> {
  if (tls !== undefined) return tls;
  const key = plan.groups[0] === 'metrics' ? 'metrics_address' : `${plan.groups[0]}_address`;
  throw new ConfigError(key, formatAddress(plan.address), 'private_key_file and certificate_file (or keystore) for an https address');
}

async function closeAll(running: RunningListener[], drainMs: number): Promise<void> {
  // All listeners stop accepting at once; each drains its in-flight requests.
  await Promise.all([...running].reverse().map((listener) => closeDraining(listener.app, listener.drain, drainMs)));
}
