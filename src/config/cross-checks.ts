/**
 * Checks across keys that make start-up fail fast, before any listener binds (pure). Each
 * failure is a `ConfigError` naming the key, its value and what would be accepted.
 */
import { ConfigError } from '../errors/errors.js';
import { formatAddress, sameListener, type Address } from './address.js';
import type { ServerConfig } from './server-config-types.js';

interface Bind {
  key: string;
  host: string;
  port: number;
  value: string;
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

function overlaps(a: Bind, b: Bind): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  const ha = a.host.toLowerCase();
  const hb = b.host.toLowerCase();
  return ha === hb || WILDCARD.has(ha) || WILDCARD.has(hb);
}

function tcpBind(key: string, a: Address): Bind | undefined {
  return a.scheme === 'unix' ? undefined : { key, host: a.host, port: a.port, value: formatAddress(a) };
}

export function checkCrossFields(c: Omit<ServerConfig, 'properties'>): void {
  for (const [key, a] of [
    ['inference_address', c.inferenceAddress],
    ['management_address', c.managementAddress],
    ['metrics_address', c.metricsAddress],
  ] as const) {
    if (a.scheme === 'unix' && !c.useNativeIo) {
      throw new ConfigError('use_native_io', 'false', `true, because ${key} is a unix: address`);
    }
  }

  if ((c.certificateFile === undefined) !== (c.privateKeyFile === undefined)) {
    const [missing, present] = c.certificateFile === undefined ? ['certificate_file', 'private_key_file'] : ['private_key_file', 'certificate_file'];
    throw new ConfigError(missing, '', `a file path, because ${present} is set (they are used as a pair)`);
  }
  if (c.enableGrpcSsl && c.certificateFile === undefined) {
    throw new ConfigError('enable_grpc_ssl', 'true', 'false unless certificate_file and private_key_file are set');
  }

  // Two listeners on one host:port cannot both bind. inference + management on the same
  // address is TorchServe's combined listener and is allowed.
  const binds: Bind[] = [];
  const inference = tcpBind('inference_address', c.inferenceAddress);
  const management = tcpBind('management_address', c.managementAddress);
  if (inference) binds.push(inference);
  if (management && !sameListener(c.inferenceAddress, c.managementAddress)) binds.push(management);
  const metrics = c.enableMetricsApi ? tcpBind('metrics_address', c.metricsAddress) : undefined;
  if (metrics) binds.push(metrics);
  binds.push({ key: 'grpc_inference_port', host: c.grpcInferenceAddress, port: c.grpcInferencePort, value: String(c.grpcInferencePort) });
  binds.push({ key: 'grpc_management_port', host: c.grpcManagementAddress, port: c.grpcManagementPort, value: String(c.grpcManagementPort) });
  for (let i = 0; i < binds.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = binds[j] as Bind;
      const b = binds[i] as Bind;
      if (overlaps(a, b)) throw new ConfigError(b.key, b.value, `a port not already used by ${a.key} (${a.value})`);
    }
  }
  if (c.enableMetricsApi && c.metricsAddress.scheme === 'unix') {
    for (const a of [c.inferenceAddress, c.managementAddress]) {
      if (a.scheme === 'unix' && a.path === c.metricsAddress.path) {
        throw new ConfigError('metrics_address', formatAddress(c.metricsAddress), 'a socket path different from the inference/management listener');
      }
    }
  }
}
