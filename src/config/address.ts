/**
 * Listener addresses (`inference_address`, `management_address`, `metrics_address`), pure.
 *
 * TorchServe's syntax (case-insensitive scheme): `http://host[:port]`, `https://host[:port]` or
 * `unix:/absolute/path`. Nothing may follow the port (no path, no trailing slash). The port must
 * be below 65535 ("Invalid port number"); 0 asks the OS for a free port. An omitted port
 * defaults per listener and scheme (spec §0): inference 80/443, management 8081/8444,
 * metrics 8082/8445. nserve also accepts a bracketed IPv6 host (`http://[::1]:8080`), which
 * TorchServe's pattern cannot express.
 */
import { ConfigError } from '../errors/errors.js';

export interface TcpAddress {
  readonly scheme: 'http' | 'https';
  /** Host or IP as written (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly path?: undefined;
}

export interface UnixAddress {
  readonly scheme: 'unix';
  readonly host?: undefined;
  readonly port?: undefined;
  /** Absolute socket path. */
  readonly path: string;
}

/** A parsed listener address; narrow on `scheme`. */
export type Address = TcpAddress | UnixAddress;

const DEFAULT_PORTS: Record<string, { http: number; https: number }> = {
  inference_address: { http: 80, https: 443 },
  management_address: { http: 8081, https: 8444 },
  metrics_address: { http: 8082, https: 8445 },
};

const TCP = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^:/^[\]]+)(?::(\d+))?$/i;
const UNIX = /^unix:(\/.*)$/i;

/**
 * Parses one address value. `key` picks the default port; `label` (default `key`) names the
 * key in the `ConfigError` thrown for anything unparsable.
 */
export function parseAddress(key: string, value: string, label: string = key): Address {
  const unix = UNIX.exec(value);
  if (unix) return Object.freeze({ scheme: 'unix', path: unix[1] as string });
  const m = TCP.exec(value);
  if (!m) throw new ConfigError(label, value, 'http(s)://host[:port] or unix:/absolute/path');
  const scheme = (m[1] as string).toLowerCase() as 'http' | 'https';
  let host = m[2] as string;
  if (host.startsWith('[')) host = host.slice(1, -1);
  let port: number;
  if (m[3] === undefined) {
    port = (DEFAULT_PORTS[key] ?? DEFAULT_PORTS.inference_address)![scheme];
  } else {
    port = Number(m[3]);
    if (port >= 65535) throw new ConfigError(label, value, 'a port number below 65535');
  }
  return Object.freeze({ scheme, host, port });
}

/**
 * Whether two addresses bind the same listener: same host and port, or same unix path. The
 * scheme is not compared (TorchServe's rule for the combined inference+management listener).
 * Port 0 never collides: each listener gets its own free port.
 */
export function sameListener(a: Address, b: Address): boolean {
  if (a.scheme === 'unix' || b.scheme === 'unix') return a.path !== undefined && a.path === b.path;
  return a.port !== 0 && a.port === b.port && a.host.toLowerCase() === b.host.toLowerCase();
}

/** The address as it would be written in config.properties. */
export function formatAddress(a: Address): string {
  if (a.scheme === 'unix') return `unix:${a.path}`;
  const host = a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${a.scheme}://${host}:${a.port}`;
}
