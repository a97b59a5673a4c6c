/**
 * What the core records. Services receive a `Metrics` object (never prom-client itself), so
 * the core stays free of the metrics library. `forModel` is called once per model version at
 * registration and the returned recorder is kept on the hot path (pre-bound label children).
 * A no-op implementation (`noopMetrics`) serves tests and `metrics_mode=log` when nothing is
 * exported.
 */

export interface ModelMetrics {
  /** `ts_inference_requests_total` += 1, before queueing. */
  request(): void;
  /** `ts_queue_latency_microseconds` += µs; also sets `QueueTime` (ms) and observes the histogram. */
  queued(microseconds: number): void;
  /** `ts_inference_latency_microseconds` += µs on completion (end of stream); histogram too. */
  completed(microseconds: number): void;
  /** `WorkerThreadTime` (ms): frontend time per batch outside the handler. */
  workerThreadTime(milliseconds: number): void;
  /** `HandlerTime` / `PredictionTime` (ms) as the handler measured the batch. */
  handlerTime(milliseconds: number): void;
  /** `WorkerLoadTime` (ms) for worker `workerName` (`W-<id>-<model>_<version>`). */
  workerLoaded(workerName: string, milliseconds: number): void;
  /** A custom metric emitted by a handler (`context.emitMetric`). */
  custom(name: string, value: number, unit: string, dimensions: Record<string, string>): void;
}

export interface Metrics {
  /** `model_version` label is `"default"` when the request named no version, as TorchServe. */
  forModel(modelName: string, modelVersion: string): ModelMetrics;
  /** Requests2XX / 4XX / 5XX by HTTP (or gRPC-mapped) status. */
  response(status: number): void;
}

const noopModel: ModelMetrics = {
  request() {},
  queued() {},
  completed() {},
  workerThreadTime() {},
  handlerTime() {},
  workerLoaded() {},
  custom() {},
};

export const noopMetrics: Metrics = {
  forModel: () => noopModel,
  response() {},
};
