/**
 * A TorchServe config snapshot (spec §4.5), built in memory (pure): every current property plus
 * `model_snapshot`, in `Properties.store` format under the header `#Saving snapshot`.
 *
 * `model_snapshot` is pretty-printed JSON (two-space indent, as TorchServe's Gson writes it):
 *
 * ```json
 * {"name": "<file name>", "modelCount": <versions>, "created": <epoch ms>,
 *  "models": {"<name>": {"<version>": {"defaultVersion": true, "marName": "e.mar", "minWorkers": 1,
 *   "maxWorkers": 1, "batchSize": 1, "maxBatchDelay": 100, "responseTimeout": 120,
 *   "startupTimeout": 120, "runtimeType": "python"}}}}
 * ```
 */
import { storeProperties } from './properties-store.js';

export type SnapshotKind = 'startup' | 'snapshot' | 'shutdown';

/** One registered model version as the snapshot records it. */
export interface SnapshotModelState {
  name: string;
  version: string;
  defaultVersion: boolean;
  /** The archive's file (or directory) name in model_store. */
  marName: string;
  minWorkers: number;
  maxWorkers: number;
  batchSize: number;
  maxBatchDelay: number;
  /** Seconds. */
  responseTimeout: number;
  /** Seconds. */
  startupTimeout: number;
  runtimeType: string;
  /** Written only when > 0 (TorchServe omits it otherwise). */
  parallelLevel?: number;
}

export interface SnapshotContent {
  /** The properties to carry (ServerConfig.properties); a `model_snapshot` among them is replaced. */
  properties: Iterable<readonly [string, string]>;
  models: readonly SnapshotModelState[];
  /** The snapshot's file name; also the JSON's `name`. */
  fileName: string;
  /** The JSON's `created` and the header's date. */
  date: Date;
}

/** Snapshot files: `yyyyMMddHHmmssSSS-<kind>.cfg`. */
export const SNAPSHOT_FILE = /^\d{17}-(startup|snapshot|shutdown)\.cfg$/;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `<yyyyMMddHHmmssSSS>-<kind>.cfg`, local time (TorchServe's SimpleDateFormat). */
export function snapshotFileName(kind: SnapshotKind, date: Date): string {
  const stamp =
    `${pad(date.getFullYear(), 4)}${pad(date.getMonth() + 1)}${pad(date.getDate())}` +
    `${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}${pad(date.getMilliseconds(), 3)}`;
  return `${stamp}-${kind}.cfg`;
}

/** The `model_snapshot` value. `modelCount` counts versions. */
export function modelSnapshotJson(models: readonly SnapshotModelState[], name: string, created: number): string {
  const table: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const m of models) {
    const entry: Record<string, unknown> = {
      defaultVersion: m.defaultVersion,
      marName: m.marName,
      minWorkers: m.minWorkers,
      maxWorkers: m.maxWorkers,
      batchSize: m.batchSize,
      maxBatchDelay: m.maxBatchDelay,
      responseTimeout: m.responseTimeout,
      startupTimeout: m.startupTimeout,
      runtimeType: m.runtimeType,
    };
    if (m.parallelLevel !== undefined && m.parallelLevel > 0) entry.parallelLevel = m.parallelLevel;
    (table[m.name] ??= {})[m.version] = entry;
  }
  return JSON.stringify({ name, modelCount: models.length, created, models: table }, null, 2);
}

/** The whole snapshot file text. */
export function serializeSnapshot(content: SnapshotContent): string {
  const properties = new Map<string, string>();
  for (const [key, value] of content.properties) if (key !== 'model_snapshot') properties.set(key, value);
  properties.set('model_snapshot', modelSnapshotJson(content.models, content.fileName, content.date.getTime()));
  return storeProperties(properties, { comment: 'Saving snapshot', date: content.date });
}
