/**
 * The two per-model JSON values of config.properties, parsed and validated (pure):
 *
 * - `models={"name": {"version": {minWorkers, maxWorkers, batchSize, ...}}}`: per-model
 *   overrides; every field optional, values <= 0 are ignored later (spec §4.2).
 * - `model_snapshot={"name": ..., "modelCount": n, "models": {...}}`: what TorchServe writes
 *   into its snapshots and KServe's sample config carries (spec §4.5). On restore
 *   `defaultVersion`, `marName`, `minWorkers`, `maxWorkers`, `batchSize` and `maxBatchDelay`
 *   are required (TorchServe fails start-up without them); `responseTimeout` and
 *   `startupTimeout` default to 120 and `runtimeType` to `python`.
 */
import { ConfigError } from '../errors/errors.js';

/** One version's entry in `models=` (all optional). */
export interface ModelVersionProperties {
  readonly defaultVersion?: boolean;
  readonly marName?: string;
  readonly minWorkers?: number;
  readonly maxWorkers?: number;
  readonly batchSize?: number;
  readonly maxBatchDelay?: number;
  readonly responseTimeout?: number;
  readonly startupTimeout?: number;
  readonly runtimeType?: string;
  readonly parallelLevel?: number;
}

/** One version's entry in `model_snapshot`, after defaults. */
export interface SnapshotModelVersion {
  readonly defaultVersion: boolean;
  readonly marName: string;
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly batchSize: number;
  readonly maxBatchDelay: number;
  readonly responseTimeout: number;
  readonly startupTimeout: number;
  readonly runtimeType: string;
  readonly parallelLevel?: number;
}

/** name → version → entry. */
export type ModelTable<T> = ReadonlyMap<string, ReadonlyMap<string, T>>;

export interface ModelSnapshot {
  readonly name: string | undefined;
  /** `<= 0`: start with no models (TorchServe). */
  readonly modelCount: number;
  /** Epoch milliseconds, when present. */
  readonly created: number | undefined;
  readonly models: ModelTable<SnapshotModelVersion>;
}

const INT_FIELDS = ['minWorkers', 'maxWorkers', 'batchSize', 'maxBatchDelay', 'responseTimeout', 'startupTimeout', 'parallelLevel'] as const;
const KNOWN_FIELDS = new Set<string>(['defaultVersion', 'marName', 'runtimeType', ...INT_FIELDS]);
const SNAPSHOT_REQUIRED = ['defaultVersion', 'marName', 'minWorkers', 'maxWorkers', 'batchSize', 'maxBatchDelay'] as const;

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(key, text, `valid JSON (${(err as Error).message})`, { cause: err });
  }
}

/** Integers may be JSON numbers or numeric strings (Gson's getAsInt accepts both). */
function intField(key: string, path: string, v: unknown): number {
  const n = typeof v === 'string' && /^[+-]?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) {
    throw new ConfigError(key, JSON.stringify(v) ?? String(v), `an integer at ${path}`);
  }
  return n;
}

function boolField(key: string, path: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw new ConfigError(key, JSON.stringify(v) ?? String(v), `true or false at ${path}`);
}

function stringField(key: string, path: string, v: unknown): string {
  if (typeof v !== 'string') throw new ConfigError(key, JSON.stringify(v) ?? String(v), `a string at ${path}`);
  return v;
}

/** Walks `{name: {version: entry}}`, calling `entry` for each version object. */
function table<T>(key: string, root: unknown, rootPath: string, entry: (v: Json, path: string) => T): ModelTable<T> {
  if (!isObject(root)) throw new ConfigError(key, JSON.stringify(root) ?? String(root), `a JSON object at ${rootPath}`);
  const models = new Map<string, ReadonlyMap<string, T>>();
  for (const [name, versions] of Object.entries(root)) {
    const vpath = `${rootPath}.${name}`;
    if (!isObject(versions)) throw new ConfigError(key, JSON.stringify(versions) ?? String(versions), `an object of versions at ${vpath}`);
    const byVersion = new Map<string, T>();
    for (const [version, value] of Object.entries(versions)) {
      const path = `${vpath}.${version}`;
      if (!isObject(value)) throw new ConfigError(key, JSON.stringify(value) ?? String(value), `an object at ${path}`);
      byVersion.set(version, entry(value, path));
    }
    models.set(name, byVersion);
  }
  return models;
}

function versionProperties(key: string, v: Json, path: string, warnings: string[]): ModelVersionProperties {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(v)) {
    if (!KNOWN_FIELDS.has(field)) {
      warnings.push(`${key}: unknown field ${path}.${field} is ignored`);
    } else if (value === null) {
      continue;
    } else if (field === 'defaultVersion') {
      out[field] = boolField(key, `${path}.${field}`, value);
    } else if (field === 'marName' || field === 'runtimeType') {
      out[field] = stringField(key, `${path}.${field}`, value);
    } else {
      out[field] = intField(key, `${path}.${field}`, value);
    }
  }
  return Object.freeze(out) as ModelVersionProperties;
}

/** Parses `models=`; unknown fields become warnings. */
export function parseModelsProperty(key: string, text: string, warnings: string[]): ModelTable<ModelVersionProperties> {
  return table(key, parseJson(key, text), key, (v, path) => versionProperties(key, v, path, warnings));
}

/** Parses and validates `model_snapshot=`. */
export function parseModelSnapshot(key: string, text: string, warnings: string[]): ModelSnapshot {
  const root = parseJson(key, text);
  if (!isObject(root)) throw new ConfigError(key, text, 'a JSON object {"name", "modelCount", "models"}');
  if (root.modelCount === undefined) throw new ConfigError(key, text, 'a "modelCount" field');
  const modelCount = intField(key, 'modelCount', root.modelCount);
  if (root.models === undefined) throw new ConfigError(key, text, 'a "models" field');
  const name = root.name === undefined ? undefined : stringField(key, 'name', root.name);
  const created = root.created === undefined ? undefined : intField(key, 'created', root.created);
  const models = table(key, root.models, 'models', (v, path): SnapshotModelVersion => {
    for (const field of SNAPSHOT_REQUIRED) {
      if (v[field] === undefined || v[field] === null) {
        throw new ConfigError(key, JSON.stringify(v), `a "${field}" field at ${path}`);
      }
    }
    const p = versionProperties(key, v, path, warnings);
    return Object.freeze({
      ...p,
      defaultVersion: p.defaultVersion as boolean,
      marName: p.marName as string,
      minWorkers: p.minWorkers as number,
      maxWorkers: p.maxWorkers as number,
      batchSize: p.batchSize as number,
      maxBatchDelay: p.maxBatchDelay as number,
      responseTimeout: p.responseTimeout ?? 120,
      startupTimeout: p.startupTimeout ?? 120,
      runtimeType: p.runtimeType ?? 'python',
    });
  });
  let versions = 0;
  for (const byVersion of models.values()) versions += byVersion.size;
  if (modelCount > 0 && modelCount !== models.size && modelCount !== versions) {
    warnings.push(`${key}: modelCount is ${modelCount} but ${models.size} model(s) are listed`);
  }
  return Object.freeze({ name, modelCount, created, models });
}
