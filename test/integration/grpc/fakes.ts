/**
 * Fake InferenceApi / ManagementApi that behave like the real services at their boundary:
 * unknown models and versions throw the catalog's errors, a full queue throws QueueFullError,
 * handlers echo, stream, fail, or wait for cancellation.
 */
import { describeFixture } from '../../helpers/model-description.js';
import {
  ConflictError,
  InvalidModelError,
  ModelNotFoundError,
  ModelVersionNotFoundError,
  PredictionError,
  QueueFullError,
  CancelledError,
  WorkerDiedError,
} from '../../../src/errors/index.js';
import type { InferenceApi, ModelStatus } from '../../../src/inference/inference-api.js';
import type { InferenceRequest, InferenceResult, ModelSignature, PredictOptions } from '../../../src/inference/types.js';
import type {
  ManagementApi,
  ModelDescription,
  ModelListPage,
  RegisterParams,
  ScaleParams,
  StatusReply,
} from '../../../src/management/management-api.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FakeModel {
  versions: string[];
  defaultVersion: string;
  ready: boolean;
  signature?: ModelSignature;
}

export interface PredictCall {
  model: string;
  version: string | undefined;
  request: InferenceRequest;
  options: PredictOptions | undefined;
}

function body(request: InferenceRequest): Uint8Array {
  return (request.parameters.find((p) => p.name === 'data' || p.name === 'body') ?? request.parameters[0])?.value ?? new Uint8Array(0);
}

type V2Input = { name: string; datatype: string; shape: number[]; data: unknown[]; parameters?: Record<string, unknown> };

export class FakeInference implements InferenceApi {
  healthy = true;
  readonly calls: PredictCall[] = [];
  readonly aborted: string[] = [];
  readonly models = new Map<string, FakeModel>([
    ['echo', { versions: ['1.0', '2.0'], defaultVersion: '1.0', ready: true }],
    ['stream', { versions: ['1.0'], defaultVersion: '1.0', ready: true }],
    ['stream-fail', { versions: ['1.0'], defaultVersion: '1.0', ready: true }],
    ['busy', { versions: ['1.0'], defaultVersion: '1.0', ready: false }],
    ['fail', { versions: ['1.0'], defaultVersion: '1.0', ready: true }],
    ['fail-400', { versions: ['1.0'], defaultVersion: '1.0', ready: true }],
    ['slow', { versions: ['1.0'], defaultVersion: '1.0', ready: true }],
    ['big', { versions: ['1.0'], defaultVersion: '1.0', ready: true }],
    ['tensor', { versions: ['3'], defaultVersion: '3', ready: true }],
    [
      'tensor-map',
      {
        versions: ['1'],
        defaultVersion: '1',
        ready: true,
        signature: {
          inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
          outputs: [
            { name: 'doubled', datatype: 'FP32', shape: [-1, 2] },
            { name: 'argmax', datatype: 'INT64', shape: [-1] },
          ],
        },
      },
    ],
    ['half', { versions: ['1'], defaultVersion: '1', ready: true }],
    ['status-400', { versions: ['1'], defaultVersion: '1', ready: true }],
  ]);

  private resolve(model: string, version: string | undefined): FakeModel {
    const entry = this.models.get(model);
    if (entry === undefined) throw new ModelNotFoundError(model);
    if (version !== undefined && !entry.versions.includes(version)) throw new ModelVersionNotFoundError(model, version);
    return entry;
  }

  async predict(model: string, version: string | undefined, request: InferenceRequest, options?: PredictOptions): Promise<InferenceResult> {
    this.resolve(model, version);
    this.calls.push({ model, version, request, options });
    await sleep(1);
    switch (model) {
      case 'echo':
        return { status: 200, headers: {}, body: body(request) };
      case 'stream':
      case 'stream-fail': {
        const failing = model === 'stream-fail';
        const stream = (async function* () {
          for (let i = 0; i < (failing ? 2 : 3); i++) {
            await sleep(5);
            yield utf8(`chunk-${i};`);
          }
          if (failing) throw new WorkerDiedError('crash');
        })();
        return { status: 200, headers: {}, stream };
      }
      case 'busy':
        throw new QueueFullError(model, version);
      case 'fail':
        throw new PredictionError();
      case 'fail-400':
        throw new PredictionError('bad image', { status: 400 });
      case 'slow':
        return new Promise((_, reject) => {
          const signal = options?.signal;
          signal?.addEventListener('abort', () => {
            this.aborted.push(request.requestId);
            reject(new CancelledError());
          });
        });
      case 'big':
        return { status: 200, headers: {}, body: Buffer.alloc(64 * 1024, 7) };
      case 'tensor':
        return { status: 200, headers: {}, body: utf8(JSON.stringify(this.echoTensors(request))) };
      case 'tensor-map': {
        const input = (JSON.parse(Buffer.from(body(request)).toString()) as { inputs: V2Input[] }).inputs[0]!;
        const rows: number[][] = [];
        for (let i = 0; i < input.data.length; i += 2) rows.push([Number(input.data[i]) * 2, Number(input.data[i + 1]) * 2]);
        const argmax = rows.map((r) => (r[0]! >= r[1]! ? 0 : 1));
        return { status: 200, headers: {}, body: utf8(JSON.stringify({ doubled: rows, argmax })) };
      }
      case 'half':
        return { status: 200, headers: {}, body: utf8(JSON.stringify({ outputs: [{ name: 'h', datatype: 'FP16', shape: [3], data: [1, -2.5, 0.099975586] }] })) };
      case 'status-400':
        return { status: 400, headers: {}, body: utf8(JSON.stringify({ code: 400, type: 'BadRequestException', message: 'bad tensor' }, null, 2)) };
      default:
        throw new ModelNotFoundError(model);
    }
  }

  /** A KServe-v2 "identity" model: every input comes back as output `out_<name>`. */
  private echoTensors(request: InferenceRequest): unknown {
    const parsed = JSON.parse(Buffer.from(body(request)).toString()) as { id?: string; model_name: string; inputs: V2Input[] };
    return {
      id: parsed.id,
      model_name: parsed.model_name,
      outputs: parsed.inputs.map((i) => ({ name: `out_${i.name}`, datatype: i.datatype, shape: i.shape, data: i.data })),
    };
  }

  health(): { healthy: boolean } {
    return { healthy: this.healthy };
  }

  modelStatus(model: string, version?: string): ModelStatus {
    const entry = this.resolve(model, version);
    const status: ModelStatus = {
      name: model,
      version: version ?? entry.defaultVersion,
      versions: entry.versions,
      ready: entry.ready,
      workers: entry.ready ? 1 : 0,
      handler: 'fake',
    };
    if (entry.signature !== undefined) status.signature = entry.signature;
    return status;
  }

  modelNames(): string[] {
    return [...this.models.keys()].sort();
  }
}


export class FakeManagement implements ManagementApi {
  readonly registered: RegisterParams[] = [];
  readonly scaled: { model: string; version: string | undefined; params: ScaleParams }[] = [];
  readonly models = new Map<string, { versions: string[]; defaultVersion: string }>([
    ['noop', { versions: ['1.0', '2.0'], defaultVersion: '1.0' }],
    ['resnet', { versions: ['1.0'], defaultVersion: '1.0' }],
  ]);

  private entry(model: string, version: string | undefined) {
    const entry = this.models.get(model);
    if (entry === undefined) throw new ModelNotFoundError(model);
    if (version !== undefined && version !== 'all' && !entry.versions.includes(version)) throw new ModelVersionNotFoundError(model, version);
    return entry;
  }

  async register(params: RegisterParams): Promise<StatusReply> {
    this.registered.push(params);
    if (params.url.endsWith('broken.mar')) throw new InvalidModelError(`Model archive ${params.url} has no MANIFEST.json`);
    const name = params.modelName ?? params.url.replace(/\.mar$/, '');
    if (this.models.has(name)) throw new ConflictError(`Model version 1.0 is already registered for model ${name}`);
    this.models.set(name, { versions: ['1.0'], defaultVersion: '1.0' });
    const workers = params.initialWorkers ?? 0;
    return { httpStatus: 200, status: `Model "${name}" Version: 1.0 registered with ${workers} initial workers` };
  }

  async scale(model: string, version: string | undefined, params: ScaleParams): Promise<StatusReply> {
    this.entry(model, version);
    this.scaled.push({ model, version, params });
    return params.synchronous
      ? { httpStatus: 200, status: `Workers scaled to ${params.minWorker} for model: ${model}` }
      : { httpStatus: 202, status: 'Processing worker updates...' };
  }

  async describe(model: string, version: string | undefined): Promise<ModelDescription[]> {
    const entry = this.entry(model, version);
    const versions = version === 'all' ? entry.versions : [version ?? entry.defaultVersion];
    return versions.map((v) => describeFixture(model, v, 0));
  }

  list(limit: number, nextPageToken: number): ModelListPage {
    const names = [...this.models.keys()].sort();
    const models = names.slice(nextPageToken, nextPageToken + limit).map((modelName) => ({ modelName, modelUrl: `${modelName}.mar` }));
    const page: ModelListPage = { models };
    if (nextPageToken + limit < names.length) page.nextPageToken = String(nextPageToken + limit);
    return page;
  }

  async unregister(model: string, version: string | undefined): Promise<StatusReply> {
    this.entry(model, version);
    this.models.delete(model);
    return { httpStatus: 200, status: `Model "${model}" unregistered` };
  }

  setDefault(model: string, version: string): StatusReply {
    const entry = this.entry(model, version);
    entry.defaultVersion = version;
    return { httpStatus: 200, status: `Default version successfully updated for model "${model}" to "${version}"` };
  }
}
