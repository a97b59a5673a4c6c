/**
 * Starts nserve's gRPC servers on 127.0.0.1 ephemeral ports against the fakes, and builds
 * clients at test time from the files in proto/ (as a user would from TorchServe's protos).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { createGrpcServers, type GrpcServersOptions } from '../../../src/protocols/grpc/index.js';
import { FakeInference, FakeManagement } from './fakes.js';

export const PROTO_DIR = join(fileURLToPath(new URL('../../../proto', import.meta.url)));

export function loadClientPackages(): grpc.GrpcObject {
  const definition = protoLoader.loadSync(
    ['inference.proto', 'management.proto', 'grpc_predict_v2.proto', 'open_inference_grpc.proto', 'google/rpc/error_details.proto'],
    { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR] },
  );
  return grpc.loadPackageDefinition(definition);
}

type Ctor = new (address: string, credentials: grpc.ChannelCredentials, options?: grpc.ClientOptions) => grpc.Client;

function ctor(pkg: grpc.GrpcObject, path: string): Ctor {
  let node: unknown = pkg;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node as Ctor;
}

/** A dynamically generated client: rpc methods by name. */
export type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export interface Harness {
  inference: FakeInference;
  management: FakeManagement;
  inferencePort: number;
  managementPort: number;
  ts: AnyClient;
  mgmt: AnyClient;
  oip: AnyClient;
  oipTs: AnyClient;
  logLines: string[];
  /** Another client of service `path` (fully qualified) on `port`, closed with the harness. */
  client(path: string, port: number): AnyClient;
  close(): Promise<void>;
}

export async function startHarness(overrides: Partial<GrpcServersOptions> = {}, clientOptions: grpc.ClientOptions = {}): Promise<Harness> {
  const inference = new FakeInference();
  const management = new FakeManagement();
  const logLines: string[] = [];
  const servers = await createGrpcServers({
    inference,
    management,
    inferenceHost: '127.0.0.1',
    inferencePort: 0,
    managementHost: '127.0.0.1',
    managementPort: 0,
    maxRequestSize: 6_553_500,
    maxResponseSize: 6_553_500,
    log: (line) => logLines.push(line),
    enableModelApi: true,
    ...overrides,
  });
  const pkg = loadClientPackages();
  const creds = grpc.credentials.createInsecure();
  const extra: AnyClient[] = [];
  const make = (path: string, port: number) => new (ctor(pkg, path))(`127.0.0.1:${port}`, creds, clientOptions) as AnyClient;
  const clients = {
    ts: make('org.pytorch.serve.grpc.inference.InferenceAPIsService', servers.inferencePort),
    mgmt: make('org.pytorch.serve.grpc.management.ManagementAPIsService', servers.managementPort),
    oip: make('inference.GRPCInferenceService', servers.inferencePort),
    oipTs: make('org.pytorch.serve.grpc.openinference.GRPCInferenceService', servers.inferencePort),
  };
  return {
    inference,
    management,
    inferencePort: servers.inferencePort,
    managementPort: servers.managementPort,
    ...clients,
    logLines,
    client: (path, port) => {
      const c = make(path, port);
      extra.push(c);
      return c;
    },
    close: async () => {
      [...Object.values(clients), ...extra].forEach((c) => c.close());
      await servers.close();
    },
  };
}

/** Call a unary rpc; resolves with the response or rejects with the ServiceError. */
export function call<T = Record<string, unknown>>(client: AnyClient, rpc: string, request: object, metadata = new grpc.Metadata()): Promise<T> {
  return new Promise((resolve, reject) => {
    const method = client[rpc];
    if (method === undefined) throw new Error(`no rpc ${rpc}`);
    method.call(client, request, metadata, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/** Call a unary rpc that must fail; resolves with the error. */
export async function callError(client: AnyClient, rpc: string, request: object, metadata?: grpc.Metadata): Promise<grpc.ServiceError> {
  try {
    await call(client, rpc, request, metadata);
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error(`${rpc} succeeded, an error was expected`);
}

/** Read a server stream to the end: messages plus the final status (error or OK). */
export function readStream<T>(stream: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>): Promise<{ messages: T[]; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    const messages: T[] = [];
    let error: grpc.ServiceError | undefined;
    let ended = false;
    let gotStatus = false;
    const settle = () => {
      if (!gotStatus) return;
      if (ended) resolve(error === undefined ? { messages } : { messages, error });
      else if (error !== undefined) setImmediate(() => resolve({ messages, error }));
    };
    stream.on('data', (m: T) => messages.push(m));
    stream.on('error', (e: grpc.ServiceError) => {
      error = e;
    });
    stream.on('end', () => {
      ended = true;
      settle();
    });
    stream.on('status', () => {
      gotStatus = true;
      settle();
    });
  });
}
