/**
 * An in-memory `InferenceApi` for protocol tests: models with scripted handlers, real
 * ServeErrors for unknown models/versions, and a tiny batcher (requests that arrive within
 * `batchWindowMs` run as one batch) so tests can see fan-out requests batched together.
 */
import { ModelNotFoundError, ModelVersionNotFoundError } from '../../../src/errors/index.js';
import type { InferenceApi, ModelStatus } from '../../../src/inference/inference-api.js';
import type { InferenceRequest, InferenceResult, ModelSignature, PredictOptions } from '../../../src/inference/types.js';

export type FakeHandler = (request: InferenceRequest, options: PredictOptions) => InferenceResult | Promise<InferenceResult>;

export interface FakeModel {
  name: string;
  version?: string;
  ready?: boolean;
  workers?: number;
  signature?: ModelSignature;
  handler: FakeHandler;
}

export interface PredictCall {
  model: string;
  version: string | undefined;
  request: InferenceRequest;
  options: PredictOptions;
}

export interface FakeInference extends InferenceApi {
  calls: PredictCall[];
  /** Sizes of the batches the fake batcher formed, in order. */
  batches: number[];
  healthy: boolean;
  models: Map<string, FakeModel[]>;
}

export function jsonResult(value: unknown, status = 200): InferenceResult {
  return { status, headers: {}, contentType: 'application/json', body: Buffer.from(JSON.stringify(value)) };
}

/** The request's `body` parameter, JSON-decoded when it is JSON. */
export function bodyOf(request: InferenceRequest): unknown {
  const p = request.parameters.find((x) => x.name === 'body');
  if (p === undefined) return undefined;
  const text = Buffer.from(p.value).toString('utf8');
  return p.contentType === 'application/json' ? JSON.parse(text) : Buffer.from(p.value);
}

export function fakeInference(models: FakeModel[], options: { batchWindowMs?: number } = {}): FakeInference {
  const byName = new Map<string, FakeModel[]>();
  for (const m of models) byName.set(m.name, [...(byName.get(m.name) ?? []), m]);
  const window = options.batchWindowMs ?? 5;
  let pending: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;

  const resolve = (name: string, version?: string): FakeModel => {
    const versions = byName.get(name);
    if (versions === undefined) throw new ModelNotFoundError(name);
    if (version === undefined) return versions[0]!;
    const found = versions.find((m) => (m.version ?? '1.0') === version);
    if (found === undefined) throw new ModelVersionNotFoundError(name, version);
    return found;
  };

  const api: FakeInference = {
    calls: [],
    batches: [],
    healthy: true,
    models: byName,
    async predict(model, version, request, opts = {}) {
      const m = resolve(model, version);
      api.calls.push({ model, version, request, options: opts });
      await new Promise<void>((go) => {
        pending.push(go);
        timer ??= setTimeout(() => {
          api.batches.push(pending.length);
          const batch = pending;
          pending = [];
          timer = undefined;
          for (const run of batch) run();
        }, window);
      });
      if (opts.signal?.aborted) throw opts.signal.reason;
      return m.handler(request, opts);
    },
    health: () => ({ healthy: api.healthy }),
    modelStatus(model, version): ModelStatus {
      const m = resolve(model, version);
      const status: ModelStatus = {
        name: m.name,
        version: m.version ?? '1.0',
        versions: (byName.get(model) ?? []).map((x) => x.version ?? '1.0'),
        ready: m.ready ?? true,
        workers: m.workers ?? 1,
        handler: 'fake',
      };
      if (m.signature !== undefined) status.signature = m.signature;
      return status;
    },
    modelNames: () => [...byName.keys()].sort(),
  };
  return api;
}
