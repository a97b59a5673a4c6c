/**
 * Where the `.proto` files live and how they are loaded. The files in `<package root>/proto`
 * are the source of truth; they are parsed at start-up with @grpc/proto-loader (no generated
 * stubs), so the same code works from `src/` (tsx, vitest) and from `dist/`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';

export const PROTO_FILES = ['inference.proto', 'management.proto', 'grpc_predict_v2.proto', 'open_inference_grpc.proto'] as const;

/** Fully qualified names of the services nserve serves. */
export const SERVICE_NAMES = {
  inference: 'org.pytorch.serve.grpc.inference.InferenceAPIsService',
  management: 'org.pytorch.serve.grpc.management.ManagementAPIsService',
  /** KServe / Open Inference Protocol package (what KServe clients call). */
  openInference: 'inference.GRPCInferenceService',
  /** The same protocol under TorchServe's package name. */
  openInferenceTorchServe: 'org.pytorch.serve.grpc.openinference.GRPCInferenceService',
} as const;

/** Method-path prefix of the management service (its calls need the management token). */
export const MANAGEMENT_PATH_PREFIX = `/${SERVICE_NAMES.management}/`;

/**
 * The package root: the nearest directory above `from` that holds `proto/inference.proto`.
 * Works from `src/protocols/grpc` and `dist/protocols/grpc` alike.
 */
export function findPackageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'proto', 'inference.proto'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`proto/inference.proto not found above ${from}`);
    dir = parent;
  }
}

/**
 * Loader options: field names as written in the protos (`model_name`), 64-bit integers as
 * decimal strings (no precision loss for INT64 tensors; numbers are accepted when encoding),
 * defaults filled in, oneofs reported, bytes as Buffers.
 */
export function loaderOptions(protoDir: string): protoLoader.Options {
  return { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [protoDir] };
}

export function loadProtos(protoDir: string = join(findPackageRoot(), 'proto')): protoLoader.PackageDefinition {
  return protoLoader.loadSync([...PROTO_FILES], loaderOptions(protoDir));
}
