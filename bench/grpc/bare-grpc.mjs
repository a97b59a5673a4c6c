// The baseline for bench/grpc: a bare grpc-js server with TorchServe's InferenceAPIsService
// from proto/inference.proto whose Predictions answers the input body unchanged, in its own
// process (as nserve is). Prints "port <n>" once bound; exits on SIGTERM.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const definition = protoLoader.loadSync('inference.proto', { keepCase: true, longs: String, defaults: true, oneofs: true, includeDirs: [join(root, 'proto')] });
const service = grpc.loadPackageDefinition(definition).org.pytorch.serve.grpc.inference.InferenceAPIsService.service;
const server = new grpc.Server();
const unimplemented = (call) => call.destroy?.(new Error('not implemented'));
server.addService(service, {
  Ping: (_call, callback) => callback(null, { health: '{"status": "Healthy"}' }),
  Predictions: (call, callback) => callback(null, { prediction: call.request.input.data ?? Buffer.alloc(0) }),
  StreamPredictions: unimplemented,
  StreamPredictions2: unimplemented,
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`port ${port}\n`);
});
process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
