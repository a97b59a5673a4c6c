/**
 * KServe v2 REST bodies other than inference (which lives in `shared/v2-codec.ts`, shared with
 * the `kservev2` envelope): server and model metadata, readiness. Pure.
 */
import type { InferenceApi, ModelStatus } from '../../inference/inference-api.js';
import type { TensorSpec } from '../../inference/types.js';

export interface ServerInfo {
  name: string;
  version: string;
}

export function serverMetadata(info: ServerInfo): { name: string; version: string; extensions: string[] } {
  return { name: info.name, version: info.version, extensions: ['binary_tensor_data'] };
}

const tensorMetadata = (t: TensorSpec) => ({ name: t.name, datatype: t.datatype, shape: t.shape });

/** `GET /v2/models/{m}`: inputs/outputs from the signature a loaded worker reported (empty before). */
export function modelMetadata(status: ModelStatus): {
  name: string;
  versions: string[];
  platform: string;
  inputs: Array<{ name: string; datatype: string; shape: number[] }>;
  outputs: Array<{ name: string; datatype: string; shape: number[] }>;
} {
  return {
    name: status.name,
    versions: status.versions,
    platform: '',
    inputs: (status.signature?.inputs ?? []).map(tensorMetadata),
    outputs: (status.signature?.outputs ?? []).map(tensorMetadata),
  };
}

/**
 * Server readiness for `/v2/health/ready`: `/ping` is healthy and every model that has worker
 * threads has a ready one. A model deliberately scaled to 0 workers does not hold the server
 * back (it could never become ready); one still loading does.
 */
export async function serverReady(inference: InferenceApi): Promise<boolean> {
  if (!(await inference.health()).healthy) return false;
  for (const name of await inference.modelNames()) {
    try {
      const s = await inference.modelStatus(name);
      if (!s.ready && s.workers !== 0) return false;
    } catch {
      // unregistered between the two calls
    }
  }
  return true;
}
