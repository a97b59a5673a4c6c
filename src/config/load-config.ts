/**
 * The only configuration I/O: find the file, read it as ISO-8859-1, hand it to the pure
 * parsers. Which file (spec §4.1; first match wins):
 *
 *   1. env `TS_CONFIG_FILE`;
 *   2. `--ts-config`;
 *   3. unless `--ncs`: the newest TorchServe snapshot in `<LOG_LOCATION|logs>/config/`
 *      (`yyyyMMddHHmmssSSS-{startup,snapshot,shutdown}.cfg`);
 *   4. `./config.properties` when it exists;
 *   5. none: built-in defaults.
 *
 * An explicit file (1 or 2) that does not exist is a `ConfigError` with the `torchserve` CLI's
 * message (`--ts-config file not found: …`); TorchServe's Java side would silently use
 * defaults for a missing `TS_CONFIG_FILE`, which hides typos, so nserve refuses it too.
 * After building, every `marName` of a `model_snapshot` must exist in `model_store`
 * (TorchServe fails start-up with InvalidSnapshotException otherwise).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../errors/errors.js';
import { decodeLatin1, parseProperties } from './properties.js';
import { buildServerConfig } from './server-config.js';
import type { CliOverrides, ServerConfig } from './server-config-types.js';

export interface ConfigLogger {
  info(message: string): void;
}

export interface LoadConfigOptions {
  /** Command-line overrides (`--ts-config`, `--model-store`, `--models`, …). */
  cli: CliOverrides;
  env: Record<string, string | undefined>;
  /** Resolves relative paths (config file, model store, LOG_LOCATION). */
  cwd: string;
  /** Told which file was read. Warnings are returned, not logged. */
  log?: ConfigLogger;
}

export interface LoadedConfig {
  config: ServerConfig;
  warnings: string[];
  /** Absolute path of the file read; `undefined` when built-in defaults were used. */
  configPath: string | undefined;
}

const SNAPSHOT_NAME = /^\d{17}-[A-Za-z]+\.cfg$/;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function notFound(flag: string, path: string): ConfigError {
  const err = new ConfigError(flag, path, 'an existing file');
  err.message = `${flag} file not found: ${path}`;
  return err;
}

async function latestSnapshot(dir: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const snapshots = names.filter((n) => SNAPSHOT_NAME.test(n)).sort();
  const last = snapshots[snapshots.length - 1];
  return last === undefined ? undefined : join(dir, last);
}

async function findConfigFile(opts: LoadConfigOptions): Promise<string | undefined> {
  const { env, cli, cwd } = opts;
  for (const [flag, path] of [
    ['TS_CONFIG_FILE', env.TS_CONFIG_FILE],
    ['--ts-config', cli.tsConfig],
  ] as const) {
    if (path === undefined || path === '') continue;
    const abs = resolve(cwd, path);
    if (!(await isFile(abs))) throw notFound(flag, path);
    return abs;
  }
  if (cli.ncs !== true) {
    const snapshot = await latestSnapshot(resolve(cwd, env.LOG_LOCATION ?? 'logs', 'config'));
    if (snapshot !== undefined) return snapshot;
  }
  const local = resolve(cwd, 'config.properties');
  return (await isFile(local)) ? local : undefined;
}

export async function loadConfig(opts: LoadConfigOptions): Promise<LoadedConfig> {
  const configPath = await findConfigFile(opts);
  const warnings: string[] = [];
  let properties = new Map<string, string>();
  if (configPath !== undefined) {
    let bytes = await readFile(configPath);
    if (UTF8_BOM.every((b, i) => bytes[i] === b)) {
      warnings.push(`${configPath} starts with a UTF-8 byte-order mark; it was skipped (the file is read as ISO-8859-1)`);
      bytes = bytes.subarray(3);
    }
    properties = parseProperties(decodeLatin1(bytes));
    opts.log?.info(`Config file: ${configPath}`);
  }
  const built = buildServerConfig({ properties, env: opts.env, cli: opts.cli, cwd: opts.cwd, tmpdir: tmpdir() });
  warnings.push(...built.warnings);
  await checkSnapshotArchives(built.config);
  return { config: built.config, warnings, configPath };
}

async function checkSnapshotArchives(config: ServerConfig): Promise<void> {
  const snapshot = config.modelSnapshot;
  if (snapshot === undefined || snapshot.modelCount <= 0) return;
  if (config.modelStore === undefined) {
    throw new ConfigError('model_store', '', 'a directory, because model_snapshot lists models to restore');
  }
  for (const versions of snapshot.models.values()) {
    for (const entry of versions.values()) {
      const path = join(config.modelStore, entry.marName);
      try {
        await stat(path);
      } catch {
        throw new ConfigError('model_snapshot', entry.marName, `an archive that exists in model_store (${path})`);
      }
    }
  }
}
