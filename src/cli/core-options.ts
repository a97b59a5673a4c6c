/**
 * ServerConfig -> the serving core's options and start-up model list. Kept beside main.ts so
 * the composition root stays readable; pure except for the extractor it plugs in.
 */
import { availableParallelism } from 'node:os';
import { extractModelArchive } from '../archive/index.js';
import { resolveModelSettings, type ModelSettingsSources, type ServerConfig } from '../config/index.js';
import type { ServingCoreOptions, StartupModels } from '../core/index.js';
import type { Metrics } from '../metrics/index.js';
import type { Logger } from './logger.js';

export function servingCoreOptions(config: ServerConfig, metrics: Metrics, logger: Logger): ServingCoreOptions {
  const startupWorkers = availableParallelism();
  const limits = {
    maxTotalBytes: config.maxArchiveUncompressedBytes,
    maxEntries: config.maxArchiveEntries,
    maxCompressionRatio: config.maxArchiveCompressionRatio,
  };
  const options: ServingCoreOptions = {
    modelStore: config.modelStore,
    tmpDir: config.tmpDir,
    jobQueueSize: config.jobQueueSize,
    defaultWorkersPerModel: config.defaultWorkersPerModel,
    defaultResponseTimeout: config.defaultResponseTimeout,
    defaultStartupTimeout: config.defaultStartupTimeout,
    unregisterModelTimeout: config.unregisterModelTimeout,
    allowedUrls: [...config.allowedUrls],
    enableModelApi: config.enableModelApi,
    maxResponseSize: config.maxResponseSize,
    metrics,
    log: logger,
    startupWorkers,
    initialWorkerId: config.initialWorkerPort,
    extractArchive: (source, opts) => extractModelArchive(source, { ...opts, limits }),
    resolveSettings: (request) => {
      const sources: ModelSettingsSources = {
        defaults: config,
        startupWorkers,
        warn: (message) => logger.warn(`${request.modelName}: ${message}`),
      };
      if (request.api !== undefined) sources.api = request.api;
      if (request.yaml !== undefined) sources.yaml = request.yaml;
      const properties = config.models.get(request.modelName)?.get(request.modelVersion);
      if (properties !== undefined) sources.properties = properties;
      const snapshot = config.modelSnapshot?.models.get(request.modelName)?.get(request.modelVersion);
      if (snapshot !== undefined) sources.snapshot = snapshot;
      return resolveModelSettings(sources);
    },
  };
  if (config.defaultServiceHandler !== undefined) options.defaultServiceHandler = config.defaultServiceHandler;
  return options;
}

/**
 * What to load at start-up: the `model_snapshot` models when there is one (its `load_models`
 * is then ignored, as TorchServe), else `load_models` / `--models`.
 */
export function startupModels(config: ServerConfig): StartupModels {
  const snapshot = config.modelSnapshot;
  if (snapshot !== undefined) {
    const entries: string[] = [];
    if (snapshot.modelCount <= 0) return entries;
    for (const [name, versions] of snapshot.models) for (const entry of versions.values()) entries.push(`${name}=${entry.marName}`);
    return entries;
  }
  if (config.loadModels === 'all') return 'all';
  return config.loadModels.map((e) => (e.name === undefined ? e.url : `${e.name}=${e.url}`));
}
