/**
 * The serving core, composed: registry, batch queues, worker pools, and the two facades the
 * protocols use. `main.ts` builds it once from the server configuration:
 *
 * ```ts
 * const core = createServingCore({
 *   modelStore: config.modelStore, tmpDir, jobQueueSize: config.jobQueueSize,
 *   defaultWorkersPerModel: config.defaultWorkersPerModel,
 *   defaultResponseTimeout: config.defaultResponseTimeout, defaultStartupTimeout: config.defaultStartupTimeout,
 *   unregisterModelTimeout: config.unregisterModelTimeout, allowedUrls: config.allowedUrls,
 *   enableModelApi: config.enableModelApi, defaultServiceHandler: config.defaultServiceHandler,
 *   maxResponseSize: config.maxResponseSize, metrics, log, extractArchive: extractModelArchive,
 *   resolveSettings: (r) => resolveModelSettings({ ...r, properties: config.models?.[r.modelName]?.[r.modelVersion], defaults: config, ... }),
 * });
 * // HTTP/gRPC adapters get core.inference and core.management.
 * await core.loadStartupModels(config.loadModels);   // 'all' | ['name=url', 'url', ...]
 * ...
 * await core.close();                                // on SIGTERM, after the listeners closed
 * ```
 *
 * `enableModelApi` is carried for the adapters' benefit only: the 405 for register/unregister
 * when it is off is a transport decision (TorchServe answers it before any model logic).
 * Start-up loads (`loadStartupModels`) never fail the server: a model that cannot load is
 * logged and skipped, as TorchServe does.
 */
import { availableParallelism } from 'node:os';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveModelSettings } from '../config/model-config.js';
import type { HandlerLogger } from '../handlers/handler.js';
import type { InferenceApi } from '../inference/inference-api.js';
import { InferenceService } from '../inference/inference-service.js';
import type { ManagementApi } from '../management/management-api.js';
import { ManagementService, type ExtractArchive, type ResolveSettings } from '../management/management-service.js';
import type { Metrics } from '../metrics/metrics-api.js';
import type { ModelEntry } from '../registry/model-entry.js';
import { ModelRegistry } from '../registry/model-registry.js';
import { errorMessage } from '../util/error-message.js';

export type CoreLogger = HandlerLogger;

export interface ServingCoreOptions {
  modelStore: string | undefined;
  /** Extracted archives go to `${tmpDir}/models/<id>/`. */
  tmpDir: string;
  jobQueueSize: number;
  defaultWorkersPerModel: number;
  /** Seconds. */
  defaultResponseTimeout: number;
  /** Seconds. */
  defaultStartupTimeout: number;
  /** Seconds. */
  unregisterModelTimeout: number;
  allowedUrls: RegExp[];
  enableModelApi: boolean;
  defaultServiceHandler?: string;
  /** Bytes per response (or streamed chunk); larger ones fail with "Worker died.". */
  maxResponseSize: number;
  metrics: Metrics;
  log: CoreLogger;
  extractArchive: ExtractArchive;
  /** Settings precedence; default: config/model-config's `resolveModelSettings` with the defaults above. */
  resolveSettings?: ResolveSettings;
  /** Start-up workers per model when `defaultWorkersPerModel` is 0 (TorchServe: #CPUs on a CPU host). */
  startupWorkers?: number;
  /** Restart back-off unit in ms (default 1000: TorchServe's 1, 1, 2, 3, 5 … seconds). */
  backoffUnitMs?: number;
  /** First port-like worker id shown by describe (default 9000, TorchServe's initial_worker_port). */
  initialWorkerId?: number;
}

/** `load_models`: `'all'`, or entries `[name=]url` (a string is split on commas). */
export type StartupModels = 'all' | string | readonly string[];

export interface ServingCore {
  inference: InferenceApi;
  management: ManagementApi;
  loadStartupModels(spec: StartupModels | undefined): Promise<void>;
  close(): Promise<void>;
}

const ARCHIVE_SUFFIXES = ['.mar', '.model', '.tar.gz'];

export function createServingCore(options: ServingCoreOptions): ServingCore {
  const registry = new ModelRegistry<ModelEntry>();
  let workerId = options.initialWorkerId ?? 9000;
  const resolveSettings: ResolveSettings =
    options.resolveSettings ??
    ((r) => {
      const sources: Parameters<typeof resolveModelSettings>[0] = {
        defaults: {
          defaultWorkersPerModel: options.defaultWorkersPerModel,
          defaultResponseTimeout: options.defaultResponseTimeout,
          defaultStartupTimeout: options.defaultStartupTimeout,
          jobQueueSize: options.jobQueueSize,
        },
        startupWorkers: options.startupWorkers ?? availableParallelism(),
        warn: (m) => options.log.warn(`${r.modelName}: ${m}`),
      };
      if (r.api) sources.api = r.api;
      if (r.yaml) sources.yaml = r.yaml;
      return resolveModelSettings(sources);
    });
  const inference = new InferenceService({ registry });
  const management = new ManagementService({
    registry,
    modelStore: options.modelStore,
    tmpDir: options.tmpDir,
    allowedUrls: options.allowedUrls,
    maxResponseSize: options.maxResponseSize,
    unregisterModelTimeout: options.unregisterModelTimeout,
    extractArchive: options.extractArchive,
    resolveSettings,
    metrics: options.metrics,
    log: options.log,
    nextWorkerId: () => workerId++,
    ...(options.defaultServiceHandler === undefined ? {} : { defaultServiceHandler: options.defaultServiceHandler }),
    ...(options.backoffUnitMs === undefined ? {} : { backoffUnitMs: options.backoffUnitMs }),
  });

  async function startupEntries(spec: StartupModels): Promise<{ name?: string; url: string }[]> {
    if (typeof spec === 'string' && spec.trim().toLowerCase() === 'all') {
      if (options.modelStore === undefined) return [];
      const names = await readdir(options.modelStore, { withFileTypes: true });
      return names
        .filter((d) => !d.name.startsWith('.') && (d.isDirectory() || ARCHIVE_SUFFIXES.some((s) => d.name.endsWith(s))))
        .map((d) => ({ url: d.name }))
        .sort((a, b) => a.url.localeCompare(b.url));
    }
    const list = typeof spec === 'string' ? spec.split(',') : [...spec];
    return list
      .map((s) => s.trim())
      .filter((s) => s !== '')
      .map((s) => {
        const eq = s.indexOf('=');
        // `name=url`, but not a URL whose query string holds the `=`.
        if (eq > 0 && !s.slice(0, eq).includes('/') && !s.slice(0, eq).includes(':')) return { name: s.slice(0, eq), url: s.slice(eq + 1) };
        return { url: s };
      });
  }

  return {
    inference,
    management,
    async loadStartupModels(spec) {
      if (spec === undefined) return;
      for (const { name, url } of await startupEntries(spec)) {
        try {
          const params: Parameters<ManagementApi['register']>[0] = { url, synchronous: true, loadedAtStartup: true };
          if (name !== undefined) params.modelName = name;
          const res = await management.register(params);
          options.log.info(`loaded ${url}: ${res.status}`);
        } catch (err) {
          options.log.error(`failed to load model ${url} at start-up: ${errorMessage(err)}`);
        }
      }
    },
    close: () => management.closeAll(),
  };
}
