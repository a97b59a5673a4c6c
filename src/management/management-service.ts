/**
 * The control-path facade (`ManagementApi`): register, scale, describe, list, unregister,
 * set-default, with TorchServe's statuses and messages (§2.2-2.7). Control reaches the registry
 * and the worker pools directly; nothing here goes through an inference queue.
 *
 * Collaborators are injected: `extractArchive` (archive/ in production, a fake or a directory in
 * tests) and `resolveSettings` (config/model-config's precedence in production).
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { RUNTIMES, validateManifest } from '../archive/manifest.js';
import { BatchQueue } from '../batching/batch-queue.js';
import {
  BadRequestError, ConflictError, InternalServerError, InvalidModelError, RequestTimeoutError, ServeError, ServiceUnavailableError,
} from '../errors/index.js';
import type { HandlerLogger, Manifest, ModelSettings } from '../handlers/handler.js';
import type { Metrics } from '../metrics/metrics-api.js';
import type { ModelEntry } from '../registry/model-entry.js';
import type { ModelRegistry } from '../registry/model-registry.js';
import { WorkerPool } from '../workers/worker-pool.js';
import type {
  ManagementApi, ModelDescription, ModelListPage, RegisterParams, ScaleParams, StatusReply,
} from './management-api.js';
import { describeEntry } from './model-description.js';
import { resolveModelSource } from './model-source.js';

/** The archive extractor's contract (structurally `extractModelArchive` of archive/). */
export interface ExtractedArchive {
  modelDir: string;
  manifest: Manifest;
  /** The archive's model-config YAML (`{}` when none). */
  modelConfig: Record<string, unknown>;
  source: string;
  cleanup(): Promise<void>;
}
export type ExtractArchive = (source: string, options: { destDir: string; log?: (line: string) => void }) => Promise<ExtractedArchive>;

/** Register parameters that take part in settings precedence (undefined = not given). */
export interface ApiSettingsParams {
  initialWorkers?: number;
  batchSize?: number;
  maxBatchDelay?: number;
  responseTimeout?: number;
  startupTimeout?: number;
}
export interface SettingsRequest {
  modelName: string;
  modelVersion: string;
  /** Present for management-API registrations, absent for start-up loads. */
  api?: ApiSettingsParams;
  /** The archive's model-config YAML; undefined when the archive has none. */
  yaml?: Record<string, unknown>;
}
export type ResolveSettings = (request: SettingsRequest) => ModelSettings;

export interface ManagementServiceOptions {
  registry: ModelRegistry<ModelEntry>;
  modelStore: string | undefined;
  tmpDir: string;
  allowedUrls: readonly RegExp[];
  defaultServiceHandler?: string;
  maxResponseSize: number;
  /** Seconds (`unregister_model_timeout`). */
  unregisterModelTimeout: number;
  extractArchive: ExtractArchive;
  resolveSettings: ResolveSettings;
  metrics: Metrics;
  log: HandlerLogger;
  nextWorkerId: () => number;
  backoffUnitMs?: number;
  fetch?: typeof fetch;
}

/** Start-up default name (§4.6): the file name without extension, non-word characters as `_`. */
function nameFromUrl(url: string): string {
  const base = url.replace(/[/\\]+$/, '').split(/[/\\]/).pop() ?? url;
  return base.replace(/\.(mar|model|tar\.gz)$/, '').replace(/\W/g, '_').replace(/^_/, '');
}

const reply = (httpStatus: StatusReply['httpStatus'], status: string): StatusReply => ({ httpStatus, status });

export class ManagementService implements ManagementApi {
  private readonly o: ManagementServiceOptions;

  constructor(options: ManagementServiceOptions) {
    this.o = options;
  }

  async register(params: RegisterParams): Promise<StatusReply> {
    if (typeof params.url !== 'string') throw new BadRequestError('Parameter url is required.');
    if (params.runtime !== undefined && !RUNTIMES.includes(params.runtime)) {
      throw new BadRequestError(`Invalid RuntimeType value: ${params.runtime}`);
    }
    const sourceOptions: Parameters<typeof resolveModelSource>[1] = { modelStore: this.o.modelStore, allowedUrls: this.o.allowedUrls };
    if (this.o.fetch) sourceOptions.fetch = this.o.fetch;
    const source = await resolveModelSource(params.url, sourceOptions);
    const dropDownload = async (): Promise<void> => {
      if (source.downloaded) await rm(source.downloaded, { force: true, recursive: true });
    };
    let archive: ExtractedArchive;
    try {
      archive = await this.o.extractArchive(source.path, { destDir: join(this.o.tmpDir, 'models'), log: (l) => this.o.log.info(l) });
    } catch (err) {
      await dropDownload();
      throw err;
    }
    let entry: ModelEntry;
    try {
      entry = this.createEntry(params, archive, source.downloaded);
      this.o.registry.add(entry);
    } catch (err) {
      await archive.cleanup().catch(() => {});
      await dropDownload();
      throw err;
    }
    const { name, version } = entry;
    const workers = entry.settings.minWorkers;
    if (workers <= 0) {
      entry.state = 'READY';
      return reply(200, `Model "${name}" Version: ${version} registered with 0 initial workers. Use scale workers API to add workers for the model.`);
    }
    if (!params.synchronous) {
      void entry.pool.scale(workers, true).then((o) => {
        if (entry.state === 'LOADING') entry.state = o.failed > 0 ? 'FAILED' : 'READY';
      });
      return reply(202, 'Processing worker updates...');
    }
    const outcome = await entry.pool.scale(workers, true);
    if (outcome.failed > 0) {
      this.o.log.error(`model ${name} version ${version}: ${outcome.error?.message ?? 'worker failed to load'}`);
      await this.removeEntry(entry);
      throw new InternalServerError(`Failed to start workers for model ${name} version: ${version}`, this.failureOptions(outcome.error));
    }
    entry.state = 'READY';
    return reply(200, `Model "${name}" Version: ${version} registered with ${workers} initial workers`);
  }

  async scale(model: string, version: string | undefined, params: ScaleParams): Promise<StatusReply> {
    const { minWorker, maxWorker } = params;
    if (maxWorker < minWorker) throw new BadRequestError('max_worker cannot be less than min_worker.');
    const entry = this.o.registry.resolve(model, version);
    if (minWorker < 0) {
      // TorchServe answers 500 from a Java IndexOutOfBoundsException here; its tests assert it.
      throw new ServeError('INTERNAL', 'NSERVE_INTERNAL', 'IndexOutOfBoundsException', `Index ${minWorker} out of bounds for length ${entry.pool.workerCount}`);
    }
    entry.settings.minWorkers = minWorker;
    entry.settings.maxWorkers = maxWorker;
    if (!params.synchronous) {
      void entry.pool.scale(minWorker, true).then((o) => this.afterScale(entry, o.failed));
      return reply(202, 'Processing worker updates...');
    }
    const outcome = await entry.pool.scale(minWorker, true);
    this.afterScale(entry, outcome.failed);
    if (outcome.failed > 0) {
      throw new InternalServerError(`Failed to start workers for model ${model} version: ${version ?? 'null'}`, this.failureOptions(outcome.error));
    }
    return reply(200, `Workers scaled to ${minWorker} for model: ${model}${version === undefined ? '' : `, version: ${version}`}`);
  }

  async describe(model: string, version: string | undefined, customized: boolean): Promise<ModelDescription[]> {
    const entries = version === 'all' ? this.o.registry.versions(model) : [this.o.registry.resolve(model, version)];
    const out = entries.map(describeEntry);
    if (customized && version !== 'all') {
      const entry = entries[0]!;
      if (entry.pool.readyCount() === 0) {
        throw new ServiceUnavailableError(`Model "${model}" has no worker to serve describe request. Please use scale workers API to add workers.`);
      }
      const metadata = await entry.pool.describe({ describe: 'True' });
      out[0]!.customizedMetadata = typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata) ? metadata : {};
    }
    return out;
  }

  list(limit: number, nextPageToken: number): ModelListPage {
    const size = Number.isInteger(limit) && limit >= 0 && limit <= 100 ? limit : 100;
    const start = Number.isInteger(nextPageToken) && nextPageToken > 0 ? nextPageToken : 0;
    const all = this.o.registry.defaults();
    const page: ModelListPage = { models: [] };
    if (start + size <= all.length) page.nextPageToken = String(start + size);
    page.models = all.slice(start, start + size).map((e) => ({ modelName: e.name, modelUrl: e.modelUrl }));
    return page.nextPageToken === undefined ? { models: page.models } : { nextPageToken: page.nextPageToken, models: page.models };
  }

  async unregister(model: string, version: string | undefined): Promise<StatusReply> {
    const entry = this.o.registry.resolve(model, version);
    this.o.registry.checkRemovable(model, entry.version);
    const previous = entry.state;
    entry.state = 'UNLOADING';
    const drained = await entry.pool.drain(this.o.unregisterModelTimeout * 1000);
    if (!drained) {
      entry.state = previous;
      throw new RequestTimeoutError(`Timed out while cleaning resources: ${model}`);
    }
    await this.removeEntry(entry);
    return reply(200, `Model "${model}" unregistered`);
  }

  setDefault(model: string, version: string): StatusReply {
    if (!this.o.registry.setDefault(model, version)) {
      // Note TorchServe's wording here: no colons, unlike the other version errors.
      throw new ServeError('NOT_FOUND', 'NSERVE_MODEL_VERSION_NOT_FOUND', 'ModelVersionNotFoundException', `Model version ${version} does not exist for model ${model}`);
    }
    return reply(200, `Default version successfully updated for model "${model}" to "${version}"`);
  }

  /** Stop every model's workers and remove extraction directories (server shutdown; downloads stay). */
  async closeAll(): Promise<void> {
    await Promise.all(this.o.registry.all().map((e) => this.removeEntry(e, { keepIndex: true, keepDownload: true })));
  }

  private createEntry(params: RegisterParams, archive: ExtractedArchive, downloaded: string | undefined): ModelEntry {
    const manifest: Manifest = { ...archive.manifest, model: { ...archive.manifest.model } };
    if (params.modelName) manifest.model.modelName = params.modelName;
    if (params.handler) manifest.model.handler = params.handler;
    if (params.runtime !== undefined) manifest.runtime = params.runtime;
    if (!manifest.model.modelVersion) manifest.model.modelVersion = '1.0';
    if (!manifest.model.modelName && params.loadedAtStartup) manifest.model.modelName = nameFromUrl(params.url);
    validateManifest(manifest, archive.source);
    const handler = manifest.model.handler || this.o.defaultServiceHandler;
    if (!handler) throw new InvalidModelError(`Handler is not defined for model ${manifest.model.modelName}`);
    manifest.model.handler = handler;
    const name = manifest.model.modelName;
    const version = manifest.model.modelVersion;
    if (this.o.registry.has(name, version)) throw new ConflictError(`Model version ${version} is already registered for model ${name}`);
    const request: SettingsRequest = { modelName: name, modelVersion: version };
    if (!params.loadedAtStartup) {
      const api: ApiSettingsParams = {};
      for (const k of ['initialWorkers', 'batchSize', 'maxBatchDelay', 'responseTimeout', 'startupTimeout'] as const) {
        if (params[k] !== undefined) api[k] = params[k];
      }
      request.api = api;
    }
    if (manifest.model.configFile) request.yaml = archive.modelConfig;
    const settings: ModelSettings = { ...this.o.resolveSettings(request) };
    const queue = new BatchQueue({ modelName: name, capacity: settings.jobQueueSize });
    const metrics = this.o.metrics.forModel(name, version);
    const pool = new WorkerPool({
      modelName: name,
      modelVersion: version,
      load: { modelName: name, modelVersion: version, modelDir: archive.modelDir, manifest, handler },
      settings,
      queue,
      maxResponseSize: this.o.maxResponseSize,
      nextWorkerId: this.o.nextWorkerId,
      log: this.o.log,
      metrics,
      ...(this.o.backoffUnitMs === undefined ? {} : { backoffUnitMs: this.o.backoffUnitMs }),
    });
    const entry: ModelEntry = {
      name, version, manifest, handler,
      runtime: manifest.runtime,
      modelDir: archive.modelDir,
      modelUrl: params.url,
      loadedAtStartup: params.loadedAtStartup === true,
      settings, queue, pool, metrics,
      defaultMetrics: this.o.metrics.forModel(name, 'default'),
      state: 'LOADING',
      ...(downloaded === undefined ? {} : { downloadedFile: downloaded }),
      cleanup: () => archive.cleanup(),
    };
    return entry;
  }

  private afterScale(entry: ModelEntry, failed: number): void {
    if (entry.state === 'UNLOADING') return;
    entry.state = failed > 0 ? 'FAILED' : 'READY';
  }

  private failureOptions(err: Error | undefined): { status?: number; cause?: unknown } {
    const status = err instanceof ServeError && err.status === 507 ? 507 : undefined;
    return status === undefined ? { cause: err } : { status, cause: err };
  }

  private async removeEntry(entry: ModelEntry, keep: { keepIndex?: boolean; keepDownload?: boolean } = {}): Promise<void> {
    if (!keep.keepIndex && this.o.registry.has(entry.name, entry.version)) {
      try {
        this.o.registry.remove(entry.name, entry.version);
      } catch {
        // A failed synchronous register of a default version with siblings: drop it anyway.
      }
    }
    await entry.pool.close();
    await entry.cleanup().catch((err: unknown) => this.o.log.warn(`cleanup of ${entry.modelDir} failed: ${String(err)}`));
    if (entry.downloadedFile && !keep.keepDownload) await rm(entry.downloadedFile, { force: true, recursive: true });
  }
}
