/**
 * `{"instances": [...]}` bodies (KServe v1, Vertex AI, the `kserve` service envelope).
 *
 * nserve runs **each instance as its own request** through `InferenceApi.predict`, all at
 * once, so the model's batcher groups them (and groups them with other clients' requests).
 * TorchServe's `kserve` envelope instead hands the whole list to one handler call and drops
 * every other request of the batch (pytorch/serve#1302); here a body of 4 instances yields 4
 * predictions whatever the model's batch size.
 *
 * Each instance becomes the request's `body` parameter: JSON (`application/json`), except an
 * instance that is exactly `{"b64": "<base64>"}` (TF-Serving / Vertex convention), which is
 * sent as raw bytes (`application/octet-stream`). Request-level `parameters` (Vertex) travel
 * as a second parameter named `parameters` (JSON), visible to handlers as
 * `request.parameters.parameters`.
 */
import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../../errors/index.js';
import type { InferenceApi } from '../../inference/inference-api.js';
import type { RequestParameter } from '../../inference/types.js';
import { readResult, toJsonValue } from './result-body.js';

export interface InstancesBody {
  instances: unknown[];
  parameters?: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses and checks the body; `inputs` is accepted in place of `instances` (KServe >= 0.11). */
export function parseInstances(body: Buffer | undefined): InstancesBody {
  let value: unknown;
  try {
    value = JSON.parse((body ?? Buffer.alloc(0)).toString('utf8'));
  } catch (err) {
    throw new InvalidInputError(`Unrecognized request format: ${(err as Error).message}`);
  }
  if (!isObject(value)) throw new InvalidInputError('Expected a JSON object with "instances"');
  const instances = value['instances'] ?? value['inputs'];
  if (!Array.isArray(instances)) throw new InvalidInputError('Expected "instances" to be a list');
  const parsed: InstancesBody = { instances };
  const parameters = value['parameters'];
  if (parameters !== undefined && parameters !== null) {
    if (!isObject(parameters)) throw new InvalidInputError('Expected "parameters" to be an object');
    parsed.parameters = parameters;
  }
  return parsed;
}

export function instanceParameters(instance: unknown, parameters?: Record<string, unknown>): RequestParameter[] {
  const b64 = isObject(instance) && Object.keys(instance).length === 1 && typeof instance['b64'] === 'string' ? instance['b64'] : undefined;
  const body: RequestParameter =
    b64 !== undefined
      ? { name: 'body', contentType: 'application/octet-stream', value: Buffer.from(b64, 'base64') }
      : { name: 'body', contentType: 'application/json', value: Buffer.from(JSON.stringify(instance) ?? 'null', 'utf8') };
  if (parameters === undefined) return [body];
  return [body, { name: 'parameters', contentType: 'application/json', value: Buffer.from(JSON.stringify(parameters), 'utf8') }];
}

export interface FanOut {
  inference: InferenceApi;
  model: string;
  version: string | undefined;
  /** Request id of the client request; the first instance keeps it, the others get fresh UUIDs. */
  requestId: string;
  headers: Record<string, string>;
  explain?: boolean;
  signal?: AbortSignal;
}

/**
 * Runs every instance concurrently and returns one prediction per instance, in order:
 * the handler's JSON value, its text, or `{"b64": …}` for bytes. The first failure fails the
 * whole call (the other instances are aborted).
 */
export async function predictInstances(fan: FanOut, body: InstancesBody): Promise<unknown[]> {
  // The client's Content-Length describes the whole body, not one instance.
  const { 'content-length': _length, ...headers } = fan.headers;
  const abort = new AbortController();
  const onAbort = () => abort.abort(fan.signal?.reason);
  if (fan.signal?.aborted) abort.abort(fan.signal.reason);
  else fan.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.all(
      body.instances.map(async (instance, i) => {
        try {
          const result = await fan.inference.predict(
            fan.model,
            fan.version,
            { requestId: i === 0 ? fan.requestId : randomUUID(), headers, parameters: instanceParameters(instance, body.parameters) },
            { signal: abort.signal, explain: fan.explain === true },
          );
          return toJsonValue(await readResult(result));
        } catch (err) {
          abort.abort(err);
          throw err;
        }
      }),
    );
  } finally {
    fan.signal?.removeEventListener('abort', onAbort);
  }
}
