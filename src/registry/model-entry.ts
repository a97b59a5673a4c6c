/**
 * What the services keep per registered model version. Created by the management service at
 * registration; the inference service reads `queue`, `pool`, `state` and the metric recorders.
 */
import type { BatchQueue } from '../batching/batch-queue.js';
import type { Manifest, ModelSettings } from '../handlers/handler.js';
import type { ModelMetrics } from '../metrics/metrics-api.js';
import type { WorkerPool } from '../workers/worker-pool.js';
import type { ModelState } from './model-state.js';

export interface ModelEntry {
  readonly name: string;
  readonly version: string;
  readonly manifest: Manifest;
  readonly handler: string;
  readonly runtime: string;
  readonly modelDir: string;
  /** The register `url`, exactly as given. */
  readonly modelUrl: string;
  readonly loadedAtStartup: boolean;
  /** Live settings: scale updates minWorkers/maxWorkers in place. */
  readonly settings: ModelSettings;
  readonly queue: BatchQueue;
  readonly pool: WorkerPool;
  /** Recorder labelled with this version; `defaultMetrics` is labelled "default" (request named no version). */
  readonly metrics: ModelMetrics;
  readonly defaultMetrics: ModelMetrics;
  state: ModelState;
  /** A copy downloaded into model_store (http(s)/file URL): deleted on unregister. */
  readonly downloadedFile?: string;
  /** Removes the extracted model directory. */
  cleanup(): Promise<void>;
}
