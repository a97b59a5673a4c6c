/**
 * Fakes of the two service facades for route tests: they record every call and answer the
 * way the real services do (TorchServe's messages and statuses), from a small in-memory table.
 */
import { describeFixture } from '../../../helpers/model-description.js';
import {
  ConflictError,
  ForbiddenError,
  ModelNotFoundError,
  ModelVersionNotFoundError,
  ServiceUnavailableError,
} from '../../../../src/errors/index.js';
import type { InferenceApi, ModelStatus } from '../../../../src/inference/inference-api.js';
import type { InferenceRequest, InferenceResult, PredictOptions } from '../../../../src/inference/types.js';
import type {
  ManagementApi,
  ModelDescription,
  ModelListPage,
  RegisterParams,
  ScaleParams,
  StatusReply,
} from '../../../../src/management/management-api.js';

export interface PredictCall {
  model: string;
  version: string | undefined;
  request: InferenceRequest;
  options: PredictOptions | undefined;
}

export type Responder = (call: PredictCall) => Promise<InferenceResult> | InferenceResult;

export class FakeInference implements InferenceApi {
  readonly calls: PredictCall[] = [];
  healthy = true;
  /** model -> versions; first version is the default. */
  models = new Map<string, string[]>([['noop', ['1.0']]]);
  responder: Responder = () => ({ status: 200, headers: {}, body: new TextEncoder().encode('OK') });

  async predict(model: string, version: string | undefined, request: InferenceRequest, options?: PredictOptions): Promise<InferenceResult> {
    this.modelStatus(model, version);
    const call = { model, version, request, options };
    this.calls.push(call);
    return this.responder(call);
  }
  health(): { healthy: boolean } {
    return { healthy: this.healthy };
  }
  modelStatus(model: string, version?: string): ModelStatus {
    const versions = this.models.get(model);
    if (versions === undefined) throw new ModelNotFoundError(model);
    if (version !== undefined && !versions.includes(version)) throw new ModelVersionNotFoundError(model, version);
    return { name: model, version: version ?? versions[0]!, versions, ready: true, workers: 1, handler: 'echo' };
  }
  modelNames(): string[] {
    return [...this.models.keys()].sort();
  }
}


export class FakeManagement implements ManagementApi {
  readonly calls: { method: string; args: unknown[] }[] = [];
  /** name -> version -> workers */
  models = new Map<string, Map<string, number>>([['noop', new Map([['1.0', 1]])]]);

  async register(params: RegisterParams): Promise<StatusReply> {
    this.calls.push({ method: 'register', args: [params] });
    const name = params.modelName ?? params.url.replace(/\.mar$/, '');
    if (this.models.get(name)?.has('1.0')) throw new ConflictError(`Model version 1.0 is already registered for model ${name}`);
    const workers = params.initialWorkers ?? 0;
    this.models.set(name, new Map([['1.0', workers]]));
    if (workers <= 0) {
      return { httpStatus: 200, status: `Model "${name}" Version: 1.0 registered with 0 initial workers. Use scale workers API to add workers for the model.` };
    }
    if (!params.synchronous) return { httpStatus: 202, status: 'Processing worker updates...' };
    return { httpStatus: 200, status: `Model "${name}" Version: 1.0 registered with ${workers} initial workers` };
  }
  async scale(model: string, version: string | undefined, params: ScaleParams): Promise<StatusReply> {
    this.calls.push({ method: 'scale', args: [model, version, params] });
    this.resolve(model, version);
    if (!params.synchronous) return { httpStatus: 202, status: 'Processing worker updates...' };
    return { httpStatus: 200, status: `Workers scaled to ${params.minWorker} for model: ${model}${version === undefined ? '' : `, version: ${version}`}` };
  }
  async describe(model: string, version: string | undefined, customized: boolean): Promise<ModelDescription[]> {
    this.calls.push({ method: 'describe', args: [model, version, customized] });
    if (version === 'all') {
      const versions = this.models.get(model);
      if (versions === undefined) throw new ModelNotFoundError(model);
      return [...versions].map(([v, w]) => describeFixture(model, v, w));
    }
    const [v, workers] = this.resolve(model, version);
    if (customized && workers === 0) {
      throw new ServiceUnavailableError(`Model "${model}" has no worker to serve describe request. Please use scale workers API to add workers.`);
    }
    const d = describeFixture(model, v, workers);
    return [customized ? { ...d, customizedMetadata: { data1: '1' } } : d];
  }
  list(limit: number, nextPageToken: number): ModelListPage {
    this.calls.push({ method: 'list', args: [limit, nextPageToken] });
    const names = [...this.models.keys()].sort();
    const page = names.slice(nextPageToken, nextPageToken + limit).map((n) => ({ modelName: n, modelUrl: `${n}.mar` }));
    return nextPageToken + limit <= names.length ? { nextPageToken: String(nextPageToken + limit), models: page } : { models: page };
  }
  async unregister(model: string, version: string | undefined): Promise<StatusReply> {
    this.calls.push({ method: 'unregister', args: [model, version] });
    const [v] = this.resolve(model, version);
    const versions = this.models.get(model)!;
    if (version !== undefined && versions.size > 1 && [...versions.keys()][0] === v) throw new ForbiddenError(`Cannot remove default version for model ${model}`);
    versions.delete(v);
    if (versions.size === 0) this.models.delete(model);
    return { httpStatus: 200, status: `Model "${model}" unregistered` };
  }
  setDefault(model: string, version: string): StatusReply {
    this.calls.push({ method: 'setDefault', args: [model, version] });
    const versions = this.models.get(model);
    if (versions === undefined) throw new ModelNotFoundError(model);
    if (!versions.has(version)) throw new ModelVersionNotFoundError(model, version);
    return { httpStatus: 200, status: `Default version successfully updated for model "${model}" to "${version}"` };
  }

  private resolve(model: string, version: string | undefined): [string, number] {
    const versions = this.models.get(model);
    if (versions === undefined) throw new ModelNotFoundError(model);
    const v = version ?? [...versions.keys()][0]!;
    const workers = versions.get(v);
    if (workers === undefined) throw new ModelVersionNotFoundError(model, v);
    return [v, workers];
  }
}
