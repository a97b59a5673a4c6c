/**
 * The handler contract: what a model's code looks like to nserve. Users write handlers against
 * these types (exported from the package root as `nserve`'s public API).
 *
 * A handler is an ES module whose default export (or the export named after `:` in the
 * manifest's `handler`, as in `my_handler.js:MyHandler`) is a class:
 *
 * ```js
 * export default class MyHandler {
 *   async initialize(context) { ... }            // once per worker
 *   async handle(requests, context) { ... }      // one batch; return one result per request
 *   async finalize() { ... }                     // optional, on scale-down / unregister / stop
 * }
 * ```
 *
 * Threading: every method runs inside a `worker_thread` that holds exactly one handler
 * instance; `handle` is never called concurrently on the same instance. Blocking (onnxruntime)
 * is fine there: the main thread keeps serving.
 *
 * Failure: if `handle` throws, every request of the batch fails (503 "Prediction failed", or
 * the `status` of a thrown error that carries one, as TorchServe's `PredictionException`). If
 * it runs past `responseTimeout`, or the thread dies, the batch fails with 500 "Worker died."
 * and the worker is replaced. If `initialize` throws or exceeds `startupTimeout`, the worker is
 * retried with back-off and the model reports the error.
 */

import type { ModelSignature } from '../inference/types.js';

/** `MAR-INF/MANIFEST.json`, as TorchServe's archiver writes it. */
export interface Manifest {
  createdOn?: string;
  runtime: string;
  model: {
    modelName: string;
    modelVersion: string;
    handler?: string;
    serializedFile?: string;
    modelFile?: string;
    extensions?: string;
    requirementsFile?: string;
    configFile?: string;
    envelope?: string;
  };
  archiverVersion?: string;
}

/** Per-model settings after the precedence of TorchServe's configuration docs is applied. */
export interface ModelSettings {
  minWorkers: number;
  maxWorkers: number;
  batchSize: number;
  /** Milliseconds. */
  maxBatchDelay: number;
  /** Seconds. */
  responseTimeout: number;
  /** Seconds. */
  startupTimeout: number;
  /** Seconds: the recovery window for worker restarts (`maxRetryTimeoutInSec`). */
  maxRetryTimeoutInSec: number;
  /** Bounded job queue size (`jobQueueSize` / `job_queue_size`). */
  jobQueueSize: number;
  /** The archive's model-config YAML, parsed (handler-specific keys live under `handler`). */
  modelConfig: Record<string, unknown>;
}

export interface HandlerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a handler sees of its model and worker. */
export interface HandlerContext {
  modelName: string;
  modelVersion: string;
  /** Directory the archive was extracted to (nested model.zip / refiner.zip extracted beside). */
  modelDir: string;
  manifest: Manifest;
  settings: ModelSettings;
  /** Index of this worker within its model's pool (TorchServe's gpu id role). */
  deviceId: number;
  /** Number of requests in the current batch (valid inside `handle`). */
  batchSize: number;
  logger: HandlerLogger;
  /** Set the HTTP status of request `index` of the current batch (default 200). */
  setResponseStatus(index: number, status: number): void;
  /** Set the content type of request `index` (TorchServe sends none unless the handler sets it). */
  setResponseContentType(index: number, contentType: string): void;
  /** Add a response header to request `index`. */
  setResponseHeader(index: number, name: string, value: string): void;
  /** Record a custom metric value (logged, and exposed when metrics are on). */
  emitMetric?(name: string, value: number, unit?: string, dimensions?: Record<string, string>): void;
}

/**
 * One request of a batch, decoded as TorchServe's Python worker decodes it:
 * parameters with content type `application/json` are parsed (raw bytes if parsing fails),
 * `text/*` becomes a string, anything else a `Buffer`.
 */
export interface HandlerRequest {
  requestId: string;
  /** The decoded `body` (or `data`) parameter; for multipart/urlencoded, the first parameter. */
  body: unknown;
  headers: Record<string, string>;
  /** Every parameter by name, decoded (a repeated name keeps the last value, as in Python). */
  parameters: Record<string, unknown>;
}

/**
 * A result for one request: string (UTF-8), `Uint8Array`/`Buffer` (raw), an async iterable of
 * those (streamed: chunked HTTP, gRPC stream), or any other JSON-serialisable value (sent as
 * 2-space JSON, as TorchServe's `json.dumps(indent=2)`).
 */
export type HandlerResult = string | Uint8Array | AsyncIterable<string | Uint8Array> | unknown;

export interface Handler {
  initialize(context: HandlerContext): Promise<void>;
  handle(requests: HandlerRequest[], context: HandlerContext): Promise<HandlerResult[]>;
  /** Optional: explain path (`/explanations`, `:explain`); falls back to `handle`. */
  explain?(requests: HandlerRequest[], context: HandlerContext): Promise<HandlerResult[]>;
  /** Optional: input/output tensors (KServe v2 model metadata); called once after initialize. */
  signature?(): ModelSignature | undefined;
  /** Optional: `GET /models/{m}?customized=true` metadata (TorchServe's describe_handle). */
  describe?(context: HandlerContext): Promise<unknown>;
  finalize?(): Promise<void>;
}

export type HandlerClass = new () => Handler;
