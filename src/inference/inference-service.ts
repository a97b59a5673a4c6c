/**
 * The data-path facade (`InferenceApi`): resolve the model, admit the request, build a `Job`,
 * enqueue it, and hand back the job's result. Never touches workers directly: an idle worker of
 * the model's pool takes the job from the queue.
 *
 * Admission (§1.6, §9.1): 404 for an unknown model/version; 503 `QueueFullError` when the model
 * has no worker at all or its queue is full (the message names the version only when the
 * request did); 503 `ModelNotReadyError` while the model is being unregistered. Requests are
 * accepted while workers are still starting or restarting: they wait in the queue.
 */
import { Job } from '../batching/job.js';
import { ModelNotReadyError, QueueFullError } from '../errors/index.js';
import type { ModelEntry } from '../registry/model-entry.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { acceptsRequests } from '../registry/model-state.js';
import type { InferenceApi, ModelStatus } from './inference-api.js';
import type { InferenceRequest, InferenceResult, PredictOptions } from './types.js';

export interface InferenceServiceOptions {
  registry: ModelRegistry<ModelEntry>;
}

export class InferenceService implements InferenceApi {
  private readonly registry: ModelRegistry<ModelEntry>;

  constructor(options: InferenceServiceOptions) {
    this.registry = options.registry;
  }

  /** Not `async`: the job's own promise is handed back (no extra promise and ticks per request). */
  predict(model: string, version: string | undefined, request: InferenceRequest, options: PredictOptions = {}): Promise<InferenceResult> {
    try {
      return this.admit(model, version, request, options).result;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private admit(model: string, version: string | undefined, request: InferenceRequest, options: PredictOptions): Job {
    const entry = this.registry.resolve(model, version);
    if (!acceptsRequests(entry.state)) throw new ModelNotReadyError(model);
    // No worker at all, or every worker gave up after its recovery window: nobody will serve.
    if (entry.pool.workerCount === 0 || entry.pool.healthyCount() === 0) throw new QueueFullError(model, version);
    const metrics = version === undefined ? entry.defaultMetrics : entry.metrics;
    metrics.request();
    const jobOptions: ConstructorParameters<typeof Job>[0] = {
      request,
      explain: options.explain ?? request.headers.explain === 'True',
      metrics,
    };
    if (options.signal !== undefined) jobOptions.signal = options.signal;
    if (options.onCancel !== undefined) jobOptions.onCancel = options.onCancel;
    // model-config clientTimeoutInMills: a job still queued after this long is dropped unanswered.
    const clientTimeout = entry.settings.modelConfig.clientTimeoutInMills;
    if (typeof clientTimeout === 'number' && clientTimeout > 0) jobOptions.deadline = performance.now() + clientTimeout;
    const job = new Job(jobOptions);
    try {
      entry.queue.enqueue(job);
    } catch (err) {
      // Settle the job so it lets go of the caller's signal (a gRPC stream shares one across
      // its requests); its `result` rejection is already handled by `Job`.
      job.reject(err);
      if (err instanceof QueueFullError) throw new QueueFullError(model, version);
      throw err;
    }
    return job;
  }

  /** Healthy when every model's default version has at least `minWorkers` healthy workers. */
  health(): { healthy: boolean } {
    const healthy = this.registry.defaults().every((e) => e.pool.healthyCount() >= e.settings.minWorkers);
    return { healthy };
  }

  modelStatus(model: string, version?: string): ModelStatus {
    const entry = this.registry.resolve(model, version);
    const status: ModelStatus = {
      name: entry.name,
      version: entry.version,
      versions: this.registry.versions(model).map((e) => e.version),
      ready: entry.pool.readyCount() > 0 && acceptsRequests(entry.state),
      workers: entry.pool.workerCount,
      handler: entry.handler,
    };
    const signature = entry.pool.signature;
    if (signature !== undefined) status.signature = signature;
    return status;
  }

  modelNames(): string[] {
    return this.registry.names();
  }
}
