/**
 * Listener-address helpers on top of `config/`'s parsed `Address`: fastify listen options and
 * the `PORT` rule for KServe / Knative / Cloud Run containers. Pure.
 */
import { formatAddress, sameListener, type Address } from '../../config/index.js';

export { formatAddress, sameListener, type Address };

export function isHttps(a: Address): boolean {
  return a.scheme === 'https';
}

/** Options for `fastify.listen`. */
export function listenOptions(a: Address): { path: string } | { host: string; port: number } {
  return a.scheme === 'unix' ? { path: a.path } : { host: a.host, port: a.port };
}

/** The address with the port actually bound (port 0 asks the OS for one). */
export function boundAddress(a: Address, port: number | undefined): Address {
  return a.scheme === 'unix' || port === undefined ? a : { scheme: a.scheme, host: a.host, port };
}

/**
 * The `PORT` rule. Platforms that run containers behind their own router (KServe custom
 * predictors, Knative, Cloud Run) tell the server which port to serve on through `PORT`.
 * When `PORT` holds a valid port (1-65534) AND the inference address was not chosen
 * explicitly (no `inference_address` in the config file, on the command line, or from
 * `TS_INFERENCE_ADDRESS` with `enable_envvars_config=true`), inference is served on
 * `http://0.0.0.0:$PORT`. An explicit address always wins; an invalid `PORT` is ignored.
 * With an explicit address, `PORT` gets an extra late-bound inference listener (kserve-port.ts).
 */
export function portEnvAddress(env: Record<string, string | undefined>, inferenceAddressExplicit: boolean): Address | undefined {
  if (inferenceAddressExplicit) return undefined;
  const raw = env.PORT?.trim();
  if (raw === undefined || !/^\d{1,5}$/.test(raw)) return undefined;
  const port = Number(raw);
  if (port < 1 || port >= 65535) return undefined;
  return { scheme: 'http', host: '0.0.0.0', port };
}
