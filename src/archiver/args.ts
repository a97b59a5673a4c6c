/**
 * torch-model-archiver's command line, flag for flag:
 * `--model-name --version/-v --serialized-file --model-file --handler --extra-files
 *  --requirements-file/-r --config-file/-c --runtime --archive-format --export-path --force/-f`
 * and `-h/--help`. Values may follow as the next argument or after `=`. A repeated flag keeps
 * the last value, as argparse does.
 */
import { MODEL_NAME_PATTERN, RUNTIMES } from '../archive/index.js';

export type ArchiveFormat = 'default' | 'tgz' | 'no-archive' | 'zip-store';
export const ARCHIVE_FORMATS: readonly ArchiveFormat[] = ['tgz', 'no-archive', 'zip-store', 'default'];

export interface ArchiverOptions {
  modelName: string;
  version: string;
  handler: string;
  serializedFile?: string;
  modelFile?: string;
  extraFiles: string[];
  requirementsFile?: string;
  configFile?: string;
  runtime: string;
  archiveFormat: ArchiveFormat;
  exportPath: string;
  force: boolean;
}

export type ParsedArgs = { kind: 'help' } | { kind: 'run'; options: ArchiverOptions };

/** A command-line mistake: printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Key = keyof Omit<ArchiverOptions, 'extraFiles' | 'force'> | 'extraFiles';

const VALUE_FLAGS: Record<string, Key> = {
  '--model-name': 'modelName',
  '--version': 'version',
  '-v': 'version',
  '--serialized-file': 'serializedFile',
  '--model-file': 'modelFile',
  '--handler': 'handler',
  '--extra-files': 'extraFiles',
  '--requirements-file': 'requirementsFile',
  '-r': 'requirementsFile',
  '--config-file': 'configFile',
  '-c': 'configFile',
  '--runtime': 'runtime',
  '--archive-format': 'archiveFormat',
  '--export-path': 'exportPath',
};

export const USAGE =
  'usage: nserve-archiver [-h] --model-name MODEL_NAME [--serialized-file SERIALIZED_FILE] [--model-file MODEL_FILE] ' +
  '--handler HANDLER [--extra-files EXTRA_FILES] [--runtime {python,python3,LSP}] [--export-path EXPORT_PATH] ' +
  '[--archive-format {tgz,no-archive,zip-store,default}] [-f] -v VERSION [-r REQUIREMENTS_FILE] [-c CONFIG_FILE]';

export const HELP = `${USAGE}

Model archiver for nserve (and TorchServe): packs model artifacts into one archive.

options:
  -h, --help            show this help message and exit
  --model-name MODEL_NAME
                        exported model name (letters, digits, '_', '-', '.'; starts with a letter or digit);
                        also the archive's file name
  --serialized-file SERIALIZED_FILE
                        path to the model weights (e.g. model.onnx)
  --model-file MODEL_FILE
                        path to a model definition file (kept for torch-model-archiver compatibility)
  --handler HANDLER     built-in handler name (e.g. onnx, stable_diffusion_xl), or a handler file
                        (my_handler.js or my_handler.js:ExportName), copied into the archive
  --extra-files EXTRA_FILES
                        comma separated files or directories to add (a directory's contents go to the root)
  --runtime {python,python3,LSP}
                        runtime recorded in the manifest (default: python)
  --export-path EXPORT_PATH
                        where the archive is written (default: current directory)
  --archive-format {tgz,no-archive,zip-store,default}
                        default: <name>.mar (zip, deflate); zip-store: <name>.mar (zip, stored);
                        tgz: <name>.tar.gz; no-archive: directory <name>/
  -f, --force           overwrite an existing archive
  -v VERSION, --version VERSION
                        model version
  -r REQUIREMENTS_FILE, --requirements-file REQUIREMENTS_FILE
                        path to a requirements file
  -c CONFIG_FILE, --config-file CONFIG_FILE
                        path to the model-config YAML file
`;

function display(flag: string): string {
  if (flag === '--version' || flag === '-v') return '-v/--version';
  if (flag === '-r' || flag === '--requirements-file') return '-r/--requirements-file';
  if (flag === '-c' || flag === '--config-file') return '-c/--config-file';
  return flag;
}

export function parseArchiverArgs(argv: readonly string[], cwd: string): ParsedArgs {
  const values: Partial<Record<Key, string>> = {};
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { kind: 'help' };
    if (arg === '-f' || arg === '--force') {
      force = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const key = VALUE_FLAGS[flag];
    if (key === undefined) throw new UsageError(`unrecognized arguments: ${arg}`);
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || (value.startsWith('-') && value.length > 1)) throw new UsageError(`argument ${display(flag)}: expected one argument`);
      i += 1;
    }
    values[key] = value;
  }

  const missing = (
    [
      ['modelName', '--model-name'],
      ['handler', '--handler'],
      ['version', '-v/--version'],
    ] as const
  )
    .filter(([key]) => values[key] === undefined)
    .map(([, flag]) => flag);
  if (missing.length > 0) throw new UsageError(`the following arguments are required: ${missing.join(', ')}`);

  const modelName = values.modelName!;
  if (!MODEL_NAME_PATTERN.test(modelName)) {
    throw new UsageError(`argument --model-name: invalid model name ${JSON.stringify(modelName)} (allowed: letters, digits, '_', '-', '.', starting with a letter or digit)`);
  }
  if (values.version === '') throw new UsageError('argument -v/--version: the version must not be empty');
  if (values.handler === '') throw new UsageError('argument --handler: the handler must not be empty');
  const runtime = values.runtime ?? 'python';
  if (!RUNTIMES.includes(runtime)) {
    throw new UsageError(`argument --runtime: invalid choice: '${runtime}' (choose from ${RUNTIMES.map((r) => `'${r}'`).join(', ')})`);
  }
  const archiveFormat = (values.archiveFormat ?? 'default') as ArchiveFormat;
  if (!ARCHIVE_FORMATS.includes(archiveFormat)) {
    throw new UsageError(`argument --archive-format: invalid choice: '${archiveFormat}' (choose from ${ARCHIVE_FORMATS.map((f) => `'${f}'`).join(', ')})`);
  }
  const options: ArchiverOptions = {
    modelName,
    version: values.version!,
    handler: values.handler!,
    extraFiles: (values.extraFiles ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
    runtime,
    archiveFormat,
    exportPath: values.exportPath ?? cwd,
    force,
  };
  for (const key of ['serializedFile', 'modelFile', 'requirementsFile', 'configFile'] as const) {
    if (values[key] !== undefined && values[key] !== '') options[key] = values[key];
  }
  return { kind: 'run', options };
}
