/**
 * Packs a model archive with the project's real archiver CLI (`node bin/nserve-archiver.js`,
 * torch-model-archiver's flags). Needs `dist/`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { PACKAGE_ROOT } from './nserve-process.js';

const run = promisify(execFile);

export interface BuildMarOptions {
  name: string;
  /** Default `1.0`. */
  version?: string;
  /** A handler file (`path/to/handler.js`, optionally `:ExportName`), copied into the archive. */
  handlerFile?: string;
  /** A built-in handler name (`echo`, `onnx`, `stable_diffusion_xl`). */
  builtin?: string;
  serializedFile?: string;
  extraFiles?: string[];
  /** Model-config YAML: text, or an object serialised as YAML. */
  config?: string | Record<string, unknown>;
  /** The archive's file name in `dir` (default `<name>.mar`: the archiver names it after the model). */
  fileName?: string;
  archiveFormat?: 'default' | 'zip-store' | 'tgz' | 'no-archive';
}

/** Writes `<dir>/<name>.mar` (or `.tar.gz` / a directory) and returns its path. */
export async function buildMar(dir: string, options: BuildMarOptions): Promise<string> {
  const handler = options.handlerFile ?? options.builtin;
  if (handler === undefined) throw new Error('buildMar: handlerFile or builtin is required');
  const version = options.version ?? '1.0';
  mkdirSync(dir, { recursive: true });
  const args = ['--model-name', options.name, '--version', version, '--handler', handler, '--export-path', dir, '--force'];
  if (options.serializedFile !== undefined) args.push('--serialized-file', options.serializedFile);
  if (options.extraFiles?.length) args.push('--extra-files', options.extraFiles.join(','));
  if (options.config !== undefined) {
    const configFile = join(dir, `${options.name}-${version}-model-config.yaml`);
    writeFileSync(configFile, typeof options.config === 'string' ? options.config : stringify(options.config));
    args.push('--config-file', configFile);
  }
  const format = options.archiveFormat ?? 'default';
  args.push('--archive-format', format);
  try {
    await run(process.execPath, [join(PACKAGE_ROOT, 'bin', 'nserve-archiver.js'), ...args], { cwd: dir });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; code?: number };
    throw new Error(`nserve-archiver exited ${e.code}: ${e.stderr ?? ''}${e.stdout ?? ''}`.trim());
  }
  const ext = format === 'tgz' ? '.tar.gz' : format === 'no-archive' ? '' : '.mar';
  const built = join(dir, `${options.name}${ext}`);
  if (options.fileName === undefined || options.fileName === basename(built)) return built;
  const target = join(dir, options.fileName);
  renameSync(built, target);
  return target;
}
