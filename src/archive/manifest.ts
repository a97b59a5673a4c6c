/**
 * `MAR-INF/MANIFEST.json`: parse, validate and build (pure).
 *
 * Parsing follows TorchServe's frontend (Gson into an object whose defaults are runtime
 * `python` and an empty model): a missing `runtime` means `python`, a missing `model` an empty
 * one, and a missing `modelName` can still be supplied by the register call. JSON syntax and
 * field types are checked strictly. `validateManifest` applies TorchServe's checks, with its messages, once
 * the register call's overrides are in.
 */
import { InvalidModelError } from '../errors/errors.js';
import type { Manifest } from '../handlers/handler.js';

export const MANIFEST_PATH = 'MAR-INF/MANIFEST.json';
/** Runtimes TorchServe accepts in a manifest or a register call (exact spelling). */
export const RUNTIMES: readonly string[] = ['python', 'python3', 'LSP'];
/** TorchServe's model name rule (torch-model-archiver `--model-name`). */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_\-.]*$/;

const MODEL_STRING_FIELDS = [
  'modelName',
  'modelVersion',
  'handler',
  'serializedFile',
  'modelFile',
  'requirementsFile',
  'configFile',
  'envelope',
] as const;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The manifest of an archive that has none: TorchServe's empty manifest. */
export function emptyManifest(): Manifest {
  return { runtime: 'python', model: { modelName: '', modelVersion: '1.0' } };
}

/**
 * Parses manifest text. `archive` names the archive in error messages.
 * Missing `modelName` becomes `''` (see `validateManifest`), missing `runtime` `"python"`, missing
 * `modelVersion` `"1.0"`, as in TorchServe. `"model": null` is TorchServe's "Missing Model entry".
 * An unknown runtime string is kept as is, for `validateManifest` to reject. Unknown keys are
 * ignored.
 */
export function parseManifest(text: string, archive: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new InvalidModelError(
      `Failed to parse signature.json. (${archive}: ${MANIFEST_PATH} is not valid JSON: ${(err as Error).message})`,
      { cause: err },
    );
  }
  const fieldError = (field: string, expected: string): InvalidModelError =>
    new InvalidModelError(`Invalid ${MANIFEST_PATH} in ${archive}: field "${field}" must be ${expected}`);
  if (!isRecord(json)) throw fieldError('(root)', 'a JSON object');
  if (json.model === null) {
    throw new InvalidModelError(`Missing Model entry in manifest file. (${archive}: ${MANIFEST_PATH} has no "model")`);
  }
  if (json.model !== undefined && !isRecord(json.model)) throw fieldError('model', 'an object');
  const raw = (json.model as Record<string, unknown> | undefined) ?? {};
  const model: Manifest['model'] = { modelName: '', modelVersion: '1.0' };
  for (const key of MODEL_STRING_FIELDS) {
    const value = raw[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'number' && key === 'modelVersion') {
      model.modelVersion = String(value);
      continue;
    }
    if (typeof value !== 'string') throw fieldError(`model.${key}`, 'a string');
    model[key] = value;
  }
  // TorchServe also accepts `model.version` for the version.
  if (raw.modelVersion === undefined && typeof raw.version === 'string') model.modelVersion = raw.version;
  if (raw.extensions !== undefined) model.extensions = typeof raw.extensions === 'string' ? raw.extensions : JSON.stringify(raw.extensions);
  if (model.modelVersion === '') model.modelVersion = '1.0';

  const manifest: Manifest = { runtime: 'python', model };
  if (json.runtime === null) manifest.runtime = '';
  else if (json.runtime !== undefined) {
    if (typeof json.runtime !== 'string') throw fieldError('runtime', 'a string');
    manifest.runtime = json.runtime;
  }
  for (const key of ['createdOn', 'archiverVersion'] as const) {
    const value = json[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw fieldError(key, 'a string');
    manifest[key] = value;
  }
  return manifest;
}

/**
 * TorchServe's registration checks, run after the register call's overrides
 * (`model_name`, `runtime`, `handler`) are applied. Messages are TorchServe's.
 */
export function validateManifest(manifest: Manifest, archive: string): void {
  if (!isRecord(manifest.model)) {
    throw new InvalidModelError(`Missing Model entry in manifest file. (${archive})`);
  }
  if (!manifest.model.modelName) throw new InvalidModelError(`Model name is not defined. (${archive})`);
  if (!RUNTIMES.includes(manifest.runtime)) {
    throw new InvalidModelError(`Runtime is not defined or invalid. (${archive}: runtime ${JSON.stringify(manifest.runtime)})`);
  }
}

export interface BuildManifestInput {
  modelName: string;
  modelVersion: string;
  handler: string;
  runtime?: string;
  serializedFile?: string;
  modelFile?: string;
  requirementsFile?: string;
  configFile?: string;
  archiverVersion: string;
  createdOn?: Date;
}

/** TorchServe's `createdOn`: local time, `DD/MM/YYYY HH:MM:SS`. */
export function formatCreatedOn(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${p(date.getDate())}/${p(date.getMonth() + 1)}/${date.getFullYear()} ` +
    `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`
  );
}

/**
 * The manifest torch-model-archiver would write, keys in its order; absent optional files are
 * omitted. Serialise with `manifestJson`.
 */
export function buildManifest(input: BuildManifestInput): Manifest {
  const model: Manifest['model'] = { modelName: input.modelName } as Manifest['model'];
  if (input.serializedFile !== undefined) model.serializedFile = input.serializedFile;
  model.handler = input.handler;
  if (input.modelFile !== undefined) model.modelFile = input.modelFile;
  model.modelVersion = input.modelVersion;
  if (input.requirementsFile !== undefined) model.requirementsFile = input.requirementsFile;
  if (input.configFile !== undefined) model.configFile = input.configFile;
  return {
    createdOn: formatCreatedOn(input.createdOn ?? new Date()),
    runtime: input.runtime ?? 'python',
    model,
    archiverVersion: input.archiverVersion,
  };
}

/** The manifest as torch-model-archiver writes it (2-space JSON). */
export function manifestJson(manifest: Manifest): string {
  return JSON.stringify(manifest, null, 2);
}
