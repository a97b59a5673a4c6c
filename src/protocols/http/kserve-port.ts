/**
 * The KServe serving port. Pure.
 *
 * KServe routes traffic to, and TCP-probes, the container's port: `PORT` under Knative (8080
 * when the runtime declares no port), 8080 in Standard mode. KServe's seed config.properties
 * puts TorchServe on 8085 (`inference_address=management_address=http://0.0.0.0:8085`)
 * because the TorchServe wrapper owned 8080. nserve therefore serves the inference routes on
 * an extra listener `0.0.0.0:<port>` for:
 *
 *   - `PORT` (Knative / KServe / Cloud Run), when it is a valid port (1-65534);
 *   - `NSERVE_KSERVE_PORT`, else the `kserve_http_port` property (`TS_KSERVE_HTTP_PORT` with
 *     `enable_envvars_config=true`): the same listener without Knative (KServe Standard mode).
 *
 * A requested port that is already the inference listener's port is served there (this is the
 * case when `PORT` became the inference address because `inference_address` was not set); a
 * port that is a gRPC port or another nserve listener's port is skipped with a warning (Knative
 * sets `PORT=8081` for a runtime that declares an h2c gRPC port).
 */
import { ConfigError } from '../../errors/index.js';
import { portEnvAddress } from './addresses.js';

export type KservePortSource = 'PORT' | 'NSERVE_KSERVE_PORT' | 'kserve_http_port';

export interface KservePortRequest {
  port: number;
  source: KservePortSource;
}

export interface KservePortRequestsInput {
  env: Record<string, string | undefined>;
  /** The `kserve_http_port` property as text (config file, or `TS_KSERVE_HTTP_PORT`). */
  configured: string | undefined;
}

/** Ports nserve already listens on, as bound (port 0 resolved). */
export interface PortsInUse {
  inference: readonly number[];
  grpc: readonly number[];
  /** Management-only and metrics listeners. */
  other: readonly number[];
}

export interface KservePortPlan {
  open: KservePortRequest[];
  skipped: { request: KservePortRequest; reason: string; warn: boolean }[];
}

/**
 * The ports asked for, first `PORT` then the nserve setting. An invalid `PORT` is ignored (as
 * the `PORT` rule does); an invalid `NSERVE_KSERVE_PORT` / `kserve_http_port` is a ConfigError.
 */
export function kservePortRequests({ env, configured }: KservePortRequestsInput): KservePortRequest[] {
  const requests: KservePortRequest[] = [];
  const fromPort = portEnvAddress(env, false);
  if (fromPort !== undefined && fromPort.scheme !== 'unix') requests.push({ port: fromPort.port, source: 'PORT' });
  const own = env.NSERVE_KSERVE_PORT?.trim();
  const conf = configured?.trim();
  if (own !== undefined && own !== '') requests.push({ port: parsePort('NSERVE_KSERVE_PORT', own), source: 'NSERVE_KSERVE_PORT' });
  else if (conf !== undefined && conf !== '') requests.push({ port: parsePort('kserve_http_port', conf), source: 'kserve_http_port' });
  return requests;
}

/** Which requested ports get their own listener, which are skipped and why. */
export function planKservePorts(requests: readonly KservePortRequest[], inUse: PortsInUse): KservePortPlan {
  const plan: KservePortPlan = { open: [], skipped: [] };
  for (const request of requests) {
    const { port } = request;
    if (plan.open.some((r) => r.port === port)) continue;
    if (inUse.inference.includes(port)) plan.skipped.push({ request, reason: 'is already the inference port', warn: false });
    else if (inUse.grpc.includes(port)) plan.skipped.push({ request, reason: 'is a gRPC port: not opening a REST listener on it', warn: true });
    else if (inUse.other.includes(port)) plan.skipped.push({ request, reason: 'is used by the management or metrics listener: not opening a KServe listener on it', warn: true });
    else plan.open.push(request);
  }
  return plan;
}

/** The ports in use from the running REST listeners (unix sockets have none) and gRPC servers. */
export function portsInUse(rest: readonly { groups: readonly string[]; port: number | undefined }[], grpc: readonly number[]): PortsInUse {
  const ports = (inference: boolean) => rest.filter((l) => l.groups.includes('inference') === inference).flatMap((l) => (l.port === undefined ? [] : [l.port]));
  return { inference: ports(true), grpc: [...grpc], other: ports(false) };
}

/** `PORT=8080`, `kserve_http_port=8080`: how logs name a request. */
export function describeKservePort(request: KservePortRequest): string {
  return `${request.source}=${request.port}`;
}

function parsePort(key: string, raw: string): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65534)) throw new ConfigError(key, raw, 'a port number from 1 to 65534');
  return port;
}
