/**
 * The gRPC listeners: TorchServe's inference service plus the Open Inference Protocol service
 * (under both package names) on the inference address, TorchServe's management service on the
 * management address. Equal addresses share one server (authorization still picks the token
 * by service). Message size limits apply in both directions: requests over `maxRequestSize`
 * and responses over `maxResponseSize` end with RESOURCE_EXHAUSTED.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server, ServerCredentials, type ServerInterceptor, type ServiceDefinition } from '@grpc/grpc-js';
import type { InferenceApi } from '../../inference/inference-api.js';
import type { ManagementApi } from '../../management/management-api.js';
import { accessLogInterceptor, authInterceptor, type Authorize } from './auth-interceptor.js';
import { createKserveV2Service } from './kserve-v2-service.js';
import { findPackageRoot, loadProtos, SERVICE_NAMES } from './proto-files.js';
import { createTorchServeInferenceService } from './torchserve-inference-service.js';
import { createTorchServeManagementService } from './torchserve-management-service.js';

export interface GrpcServersOptions {
  inference: InferenceApi;
  management: ManagementApi;
  inferenceHost: string;
  /** 0 = ephemeral. */
  inferencePort: number;
  managementHost: string;
  managementPort: number;
  /** Bytes; larger requests fail with RESOURCE_EXHAUSTED. */
  maxRequestSize: number;
  /** Bytes; larger responses fail with RESOURCE_EXHAUSTED. */
  maxResponseSize: number;
  /**
   * `enable_model_api` (default false, as TorchServe): when false, RegisterModel and
   * UnregisterModel answer PERMISSION_DENIED "Model API disabled".
   */
  enableModelApi?: boolean;
  /** Throws UnauthenticatedError (or another ServeError) to reject a call. */
  authorize?: Authorize;
  /** Access log sink, one line per call. */
  log?: (line: string) => void;
  /** ServerMetadata version; defaults to package.json's version. */
  serverVersion?: string;
  /** `grpc_inference_max_connection_age_ms` / `_grace_ms` (unset: never / infinite). */
  inferenceConnection?: ConnectionAge;
  /** `grpc_management_max_connection_age_ms` / `_grace_ms` (a shared server uses the inference values). */
  managementConnection?: ConnectionAge;
}

export interface ConnectionAge {
  maxAgeMs?: number;
  maxAgeGraceMs?: number;
}

export interface GrpcServers {
  inferencePort: number;
  managementPort: number;
  close(): Promise<void>;
}

function bindAddress(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

function bind(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(bindAddress(host, port), ServerCredentials.createInsecure(), (err, actual) => (err ? reject(err) : resolve(actual)));
  });
}

function shutdown(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(findPackageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

export async function createGrpcServers(options: GrpcServersOptions): Promise<GrpcServers> {
  const definitions = loadProtos();
  const service = (name: string) => definitions[name] as ServiceDefinition;
  const interceptors: ServerInterceptor[] = [];
  if (options.log !== undefined) interceptors.push(accessLogInterceptor(options.log));
  if (options.authorize !== undefined) interceptors.push(authInterceptor(options.authorize));
  const newServer = (age: ConnectionAge | undefined) =>
    new Server({
      'grpc.max_receive_message_length': options.maxRequestSize,
      'grpc.max_send_message_length': options.maxResponseSize,
      ...(age?.maxAgeMs === undefined ? {} : { 'grpc.max_connection_age_ms': age.maxAgeMs }),
      ...(age?.maxAgeGraceMs === undefined ? {} : { 'grpc.max_connection_age_grace_ms': age.maxAgeGraceMs }),
      interceptors,
    });

  const newId = () => randomUUID();
  const inferenceServer = newServer(options.inferenceConnection);
  inferenceServer.addService(service(SERVICE_NAMES.inference), createTorchServeInferenceService({ inference: options.inference, newId }));
  const oip = createKserveV2Service({
    inference: options.inference,
    serverName: 'nserve',
    serverVersion: options.serverVersion ?? packageVersion(),
    newId,
  });
  inferenceServer.addService(service(SERVICE_NAMES.openInference), oip);
  inferenceServer.addService(service(SERVICE_NAMES.openInferenceTorchServe), oip);

  const shared =
    options.inferencePort !== 0 && options.inferencePort === options.managementPort && options.inferenceHost === options.managementHost;
  const managementServer = shared ? inferenceServer : newServer(options.managementConnection);
  managementServer.addService(service(SERVICE_NAMES.management), createTorchServeManagementService({ management: options.management, enableModelApi: options.enableModelApi ?? false }));

  const servers = shared ? [inferenceServer] : [inferenceServer, managementServer];
  try {
    const inferencePort = await bind(inferenceServer, options.inferenceHost, options.inferencePort);
    const managementPort = shared ? inferencePort : await bind(managementServer, options.managementHost, options.managementPort);
    return {
      inferencePort,
      managementPort,
      close: async () => {
        await Promise.all(servers.map((s) => shutdown(s, 5_000)));
      },
    };
  } catch (err) {
    servers.forEach((s) => s.forceShutdown());
    throw err;
  }
}
