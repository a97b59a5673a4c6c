/**
 * Per-model settings from every source TorchServe consults, merged in ONE function (pure).
 *
 * TorchServe's docs/configuration.md states the order "management API parameters, then the
 * archive's model-config YAML, then config.properties, then defaults". Its code (0.12,
 * `ModelManager.createModel`, `ModelServer.initModelStore`, `ApiUtils.handleRegister`,
 * `Model.setModelState`, `archive/model/ModelConfig`) does something else, and clients see the
 * code, so `resolveModelSettings` follows the code (spec §2.2 "Precedence quirk", §4.2
 * `models`, §4.5, §6.4, §9.2):
 *
 * | setting | order (first that applies wins) |
 * |---|---|
 * | minWorkers/maxWorkers | snapshot entry; YAML pair when `minWorkers>0 && maxWorkers>=minWorkers` (YAML `minWorkers` is raised to ≥1); register: API `initial_workers` (default `default_workers_per_model`, ≤0 → 0) for both; start-up: `models` (>0; max defaults to min), else `default_workers_per_model`, else `startupWorkers` (TorchServe: #GPUs, else #CPUs) |
 * | batchSize | snapshot; API (when given); YAML (>0); `models` (>0); 1 |
 * | maxBatchDelay (ms) | snapshot; API (when given); YAML (>0); `models` (>0); 100 |
 * | responseTimeout (s) | snapshot; YAML (>0, when the YAML sets it); `models` (>0); API (when given); `default_response_timeout` |
 * | startupTimeout (s) | as responseTimeout, with `default_startup_timeout` |
 * | jobQueueSize | YAML (>0); `job_queue_size` |
 * | maxRetryTimeoutInSec | YAML (≥0); 300 |
 *
 * Deliberate difference: TorchServe's YAML object defaults both timeouts to 120 even when the
 * file does not mention them, so any archive with a model-config file loses the API parameter
 * and `default_*_timeout`. nserve applies a YAML timeout only when the file sets one. YAML values of the wrong type are ignored with a warning, as TorchServe
 * does. With `debug=true` TorchServe also makes the timeouts infinite; the worker layer applies
 * that, not this function.
 */
import type { ModelSettings } from '../handlers/handler.js';
import type { ModelVersionProperties, SnapshotModelVersion } from './model-entries.js';
import type { ServerConfig } from './server-config-types.js';

/** Register parameters (REST query/JSON or gRPC). `undefined` = not given (REST sentinels, non-integers). */
export interface ApiModelParams {
  /** `initial_workers`. */
  initialWorkers?: number;
  /** `batch_size`. */
  batchSize?: number;
  /** `max_batch_delay`, milliseconds. */
  maxBatchDelay?: number;
  /** `response_timeout`, seconds. */
  responseTimeout?: number;
  /** `startup_timeout`, seconds. */
  startupTimeout?: number;
}

export interface ModelSettingsSources {
  /** Present exactly when the model is being registered through the management API. */
  api?: ApiModelParams;
  /** The archive's model-config YAML, parsed; `undefined` when the archive has none. */
  yaml?: Record<string, unknown>;
  /** This name/version's entry in config.properties `models=`. */
  properties?: ModelVersionProperties;
  /** This name/version's entry in `model_snapshot`, when restoring from it. */
  snapshot?: SnapshotModelVersion;
  defaults: Pick<ServerConfig, 'defaultWorkersPerModel' | 'defaultResponseTimeout' | 'defaultStartupTimeout' | 'jobQueueSize'>;
  /** Start-up workers when `default_workers_per_model` is 0 (TorchServe: #GPUs, else #CPUs). Default 1. */
  startupWorkers?: number;
  /** Receives one line per ignored YAML value. */
  warn?: (message: string) => void;
}

const DEFAULT_MAX_RETRY_TIMEOUT_SEC = 300;
const DEFAULT_BATCH_SIZE = 1;
const DEFAULT_MAX_BATCH_DELAY_MS = 100;

const positive = (n: number | undefined): number | undefined => (n !== undefined && n > 0 ? n : undefined);

export function resolveModelSettings(sources: ModelSettingsSources): ModelSettings {
  const { api, yaml, properties: props, snapshot, defaults } = sources;
  const yamlInt = (key: string): number | undefined => {
    const v = yaml?.[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    sources.warn?.(`model-config ${key}: ${JSON.stringify(v)} is not an integer; ignored`);
    return undefined;
  };

  // Workers.
  let minWorkers: number;
  let maxWorkers: number;
  if (snapshot) {
    minWorkers = snapshot.minWorkers;
    maxWorkers = snapshot.maxWorkers;
  } else {
    if (api) {
      minWorkers = Math.max(0, api.initialWorkers ?? defaults.defaultWorkersPerModel);
      maxWorkers = minWorkers;
    } else {
      const startDefault = defaults.defaultWorkersPerModel > 0 ? defaults.defaultWorkersPerModel : (sources.startupWorkers ?? 1);
      minWorkers = positive(props?.minWorkers) ?? startDefault;
      maxWorkers = positive(props?.maxWorkers) ?? minWorkers;
    }
    const yMin = yamlInt('minWorkers');
    const yMax = yamlInt('maxWorkers');
    if (yMin !== undefined || yMax !== undefined) {
      const min = yMin === undefined ? 0 : Math.max(1, yMin);
      const max = yMax ?? 0;
      if (min > 0 && max >= min) {
        minWorkers = min;
        maxWorkers = max;
      } else {
        sources.warn?.(`model-config minWorkers/maxWorkers (${yMin ?? 'unset'}/${yMax ?? 'unset'}) ignored: need minWorkers > 0 and maxWorkers >= minWorkers`);
      }
    }
  }

  // Batching.
  const yBatch = yamlInt('batchSize');
  const batchSize =
    snapshot?.batchSize ?? api?.batchSize ?? positive(yBatch === undefined ? undefined : Math.max(1, yBatch)) ?? positive(props?.batchSize) ?? DEFAULT_BATCH_SIZE;
  const maxBatchDelay =
    snapshot?.maxBatchDelay ?? api?.maxBatchDelay ?? positive(yamlInt('maxBatchDelay')) ?? positive(props?.maxBatchDelay) ?? DEFAULT_MAX_BATCH_DELAY_MS;

  // Timeouts: the YAML quirk.
  const timeout = (yamlKey: 'responseTimeout' | 'startupTimeout', fallback: number): number => {
    if (snapshot) return snapshot[yamlKey];
    // TorchServe treats a key the YAML does not mention as 120 s, which silently cuts an SDXL
    // model's 2400 s `default_response_timeout` to 120 s. nserve uses the YAML value only
    // when the YAML sets it (README, migration notes).
    const fromYaml = yaml === undefined ? undefined : positive(yamlInt(yamlKey));
    return fromYaml ?? positive(props?.[yamlKey]) ?? api?.[yamlKey] ?? fallback;
  };
  const responseTimeout = timeout('responseTimeout', defaults.defaultResponseTimeout);
  const startupTimeout = timeout('startupTimeout', defaults.defaultStartupTimeout);

  const yRetry = yamlInt('maxRetryTimeoutInSec');
  return Object.freeze({
    minWorkers,
    maxWorkers,
    batchSize,
    maxBatchDelay,
    responseTimeout,
    startupTimeout,
    maxRetryTimeoutInSec: yRetry !== undefined && yRetry >= 0 ? yRetry : DEFAULT_MAX_RETRY_TIMEOUT_SEC,
    jobQueueSize: positive(yamlInt('jobQueueSize')) ?? defaults.jobQueueSize,
    modelConfig: yaml ?? {},
  });
}
