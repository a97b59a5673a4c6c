/**
 * The control-path facade (register, scale, describe, list, unregister, set-default).
 * Control never travels through the inference queues: it reaches registry and worker pools
 * directly. REST and gRPC management adapters call only this interface.
 *
 * Results carry the HTTP-like status TorchServe answers (200, 202, 206) and its `status`
 * message; errors are `ServeError`s mapped by each transport's single table.
 */

export interface RegisterParams {
  /** File in model_store, a directory, or an http(s)/file URL allowed by `allowed_urls`. */
  url: string;
  modelName?: string;
  handler?: string;
  runtime?: string;
  batchSize?: number;
  maxBatchDelay?: number;
  initialWorkers?: number;
  /** REST default true, gRPC default false. */
  synchronous: boolean;
  responseTimeout?: number;
  startupTimeout?: number;
  /** True when loaded by `load_models` / `--models` / snapshot at start-up. */
  loadedAtStartup?: boolean;
}

export interface ScaleParams {
  minWorker: number;
  maxWorker: number;
  synchronous: boolean;
}

/** `{status: "..."}` with the HTTP status TorchServe uses for it. */
export interface StatusReply {
  httpStatus: 200 | 202 | 206;
  status: string;
}

export interface WorkerDescription {
  id: string;
  startTime: string;
  status: 'READY' | 'UNLOADING';
  memoryUsage: number;
  pid: number;
  gpu: boolean;
  gpuUsage: string;
}

/** Field order is TorchServe's (Gson declaration order); clients diff these bodies. */
export interface ModelDescription {
  modelName: string;
  modelVersion: string;
  modelUrl: string;
  runtime: string;
  minWorkers: number;
  maxWorkers: number;
  batchSize: number;
  maxBatchDelay: number;
  responseTimeout: number;
  startupTimeout: number;
  maxRetryTimeoutInSec: number;
  clientTimeoutInMills: number;
  parallelType: string;
  parallelLevel: number;
  deviceType: string;
  continuousBatching: boolean;
  useJobTicket: boolean;
  useVenv: boolean;
  stateful: boolean;
  sequenceMaxIdleMSec: number;
  sequenceTimeoutMSec: number;
  maxNumSequence: number;
  maxSequenceJobQueueSize: number;
  loadedAtStartup: boolean;
  workers: WorkerDescription[];
  jobQueueStatus: { remainingCapacity: number; pendingRequests: number };
  /** nserve addition (omitted when none): why the model's workers could not load. */
  loadError?: string;
  customizedMetadata?: unknown;
}

export interface ModelListPage {
  nextPageToken?: string;
  models: { modelName: string; modelUrl: string }[];
}

/** A `ManagementApi` whose every answer may be a promise (a front-end thread's proxy asks the main thread). */
export type RemoteManagementApi = {
  [K in keyof ManagementApi]: (...args: Parameters<ManagementApi[K]>) => ReturnType<ManagementApi[K]> | Promise<Awaited<ReturnType<ManagementApi[K]>>>;
};

export interface ManagementApi {
  register(params: RegisterParams): Promise<StatusReply>;
  /** `version` undefined = default version. */
  scale(model: string, version: string | undefined, params: ScaleParams): Promise<StatusReply>;
  /** `version` 'all' = every version. `customized` asks the handler for its metadata. */
  describe(model: string, version: string | undefined, customized: boolean): Promise<ModelDescription[]>;
  list(limit: number, nextPageToken: number): ModelListPage;
  unregister(model: string, version: string | undefined): Promise<StatusReply>;
  setDefault(model: string, version: string): StatusReply;
}
