/**
 * Reads what a snapshot records from the management facade only (list + describe), so the
 * serving core knows nothing about snapshots.
 *
 * `marName` is the register `url` when it names something in model_store; a model registered
 * from an `http(s)://` or `file://` URL was downloaded into model_store under the URL's file
 * name, so that name is recorded. A model loaded from a directory outside model_store cannot
 * be restored by TorchServe's rules (every `marName` must exist in model_store, or start-up
 * fails), so it is left out with a warning.
 */
import { basename } from 'node:path';
import type { ManagementApi, ModelDescription } from '../management/management-api.js';
import type { SnapshotModelState } from './serialize-snapshot.js';

export interface CollectOptions {
  /** Whether `name` exists in model_store. */
  inStore(name: string): Promise<boolean>;
  warn(message: string): void;
}

const PAGE = 100;

/** The model_store file name a register `url` left behind, when it is not a path (pure). */
export function downloadedFileName(url: string): string | undefined {
  if (!/^(https?|file):\/\//i.test(url)) return undefined;
  try {
    const name = basename(decodeURIComponent(new URL(url).pathname));
    return name === '' || name === '.' || name === '..' ? undefined : name;
  } catch {
    return undefined;
  }
}

async function marNameOf(d: ModelDescription, options: CollectOptions): Promise<string | undefined> {
  const name = downloadedFileName(d.modelUrl) ?? d.modelUrl;
  if (await options.inStore(name)) return name;
  options.warn(`config snapshot: model ${d.modelName} version ${d.modelVersion} is left out: ${d.modelUrl} is not in model_store, so it could not be restored`);
  return undefined;
}

async function modelNames(management: Pick<ManagementApi, 'list'>): Promise<string[]> {
  const names: string[] = [];
  for (let token = 0; ; token += PAGE) {
    const page = management.list(PAGE, token);
    names.push(...page.models.map((m) => m.modelName));
    if (page.nextPageToken === undefined || page.models.length === 0) return names;
  }
}

/** Every registered version, in list order (a model unregistered meanwhile is skipped). */
export async function collectModels(management: Pick<ManagementApi, 'list' | 'describe'>, options: CollectOptions): Promise<SnapshotModelState[]> {
  const out: SnapshotModelState[] = [];
  for (const name of await modelNames(management)) {
    let versions: ModelDescription[];
    let defaultVersion: string | undefined;
    try {
      versions = await management.describe(name, 'all', false);
      defaultVersion = (await management.describe(name, undefined, false))[0]?.modelVersion;
    } catch {
      continue;
    }
    for (const d of versions) {
      const marName = await marNameOf(d, options);
      if (marName === undefined) continue;
      const state: SnapshotModelState = {
        name: d.modelName,
        version: d.modelVersion,
        defaultVersion: d.modelVersion === defaultVersion,
        marName,
        minWorkers: d.minWorkers,
        maxWorkers: d.maxWorkers,
        batchSize: d.batchSize,
        maxBatchDelay: d.maxBatchDelay,
        responseTimeout: d.responseTimeout,
        startupTimeout: d.startupTimeout,
        runtimeType: d.runtime,
      };
      if (d.parallelLevel > 0) state.parallelLevel = d.parallelLevel;
      out.push(state);
    }
  }
  return out;
}
