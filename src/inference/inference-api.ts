/**
 * The data-path facade every protocol adapter talks to (TGI's `Infer`, KServe's `DataPlane`).
 * Adapters decode into `InferenceRequest`, call one method, encode the result. They never see
 * the registry, the queues or the workers.
 *
 * Errors: methods reject with `ServeError`s from `errors/` (ModelNotFoundError,
 * ModelVersionNotFoundError, QueueFullError, InvalidInputError, WorkerDiedError,
 * PredictionError, ...). Adapters do not catch them; their transport's one mapping does.
 */
import type { InferenceRequest, InferenceResult, ModelSignature, PredictOptions } from './types.js';

export interface ModelStatus {
  name: string;
  version: string;
  /** Every version registered for this name. */
  versions: string[];
  /** At least one worker is READY. */
  ready: boolean;
  /** Number of worker threads that exist (any state). */
  workers: number;
  /** Signature reported by a loaded worker; undefined until one has loaded. */
  signature?: ModelSignature;
  /** The manifest's handler string. */
  handler: string;
}

/** A value, or a promise of it: the in-process service answers at once, a front-end thread's proxy asks the main thread. */
export type Awaitable<T> = T | Promise<T>;

export interface InferenceApi {
  /**
   * Run one request on model `model` (default version when `version` is undefined). Resolves
   * once the handler produced this request's result (or its first streamed chunk).
   */
  predict(model: string, version: string | undefined, request: InferenceRequest, options?: PredictOptions): Promise<InferenceResult>;
  /** `/ping`: healthy when every model that should have workers has them. */
  health(): Awaitable<{ healthy: boolean }>;
  /** Throws ModelNotFoundError / ModelVersionNotFoundError. */
  modelStatus(model: string, version?: string): Awaitable<ModelStatus>;
  /** Names of all registered models, sorted. */
  modelNames(): Awaitable<string[]>;
}
