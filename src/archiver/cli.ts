/**
 * `nserve-archiver`: torch-model-archiver's command line, writing archives that both nserve and
 * TorchServe load. Exit codes: 0 done (or help), 2 command-line mistake (one line, no stack),
 * 1 anything else (existing output without `--force`, I/O errors).
 */
import { readFile, stat } from 'node:fs/promises';
import { formatBytes } from '../archive/index.js';
import { HELP, parseArchiverArgs, UsageError, type ArchiverOptions } from './args.js';
import { planArchive } from './collect.js';
import { outputPath, writeArchive } from './write-archive.js';
import { errorMessage } from '../util/error-message.js';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  cwd: string;
}

const PROG = 'nserve-archiver';

export async function archiverVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export async function runArchiver(options: ArchiverOptions, io: CliIo): Promise<string> {
  const exportInfo = await stat(options.exportPath).catch(() => undefined);
  if (!exportInfo?.isDirectory()) {
    throw new UsageError(`argument --export-path: ${options.exportPath} is not a directory; point to a valid export-path directory`);
  }
  const target = outputPath(options.exportPath, options.modelName, options.archiveFormat);
  if (!options.force && (await stat(target).catch(() => undefined)) !== undefined) {
    throw new Error(`${target} already exists. Please specify --force/-f option to overwrite the model archive output file. See -h/--help for more details.`);
  }
  const plan = await planArchive(options, io.cwd, await archiverVersion());
  for (const warning of plan.warnings) io.stderr.write(`${PROG}: warning: ${warning}\n`);
  const tty = io.stderr.isTTY === true;
  let lastAt = 0;
  const name = target.split(/[\\/]/).pop() ?? target;
  await writeArchive(plan, target, options.archiveFormat, (done, total) => {
    const now = Date.now();
    if (!tty || (now - lastAt < 200 && done < total)) return;
    lastAt = now;
    const pct = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
    io.stderr.write(`\r${name}: ${pct}% (${formatBytes(done)} / ${formatBytes(total)})\u001b[K`);
  });
  if (tty) io.stderr.write(`\r${name}: done (${formatBytes(plan.totalBytes)})\u001b[K\n`);
  return target;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): Promise<number> {
  try {
    const parsed = parseArchiverArgs(argv, io.cwd);
    if (parsed.kind === 'help') {
      io.stdout.write(HELP);
      return 0;
    }
    await runArchiver(parsed.options, io);
    return 0;
  } catch (err) {
    const message = errorMessage(err).replace(/\s*\n\s*/g, ' ');
    io.stderr.write(`${PROG}: error: ${message}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}
