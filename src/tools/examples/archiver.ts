/** Runs the project's archiver CLI (`bin/nserve-archiver.js`) in a child process. */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root (this file is dist/tools/examples/archiver.js or src/tools/examples/archiver.ts). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ArchiveRequest {
  modelName: string;
  version: string;
  handler: string;
  exportPath: string;
  serializedFile?: string;
  extraFiles?: string[];
  configFile?: string;
  archiveFormat?: 'default' | 'zip-store' | 'tgz' | 'no-archive';
  force?: boolean;
  /** Working directory of the archiver (relative paths resolve against it). */
  cwd?: string;
}

export function archiverArgs(r: ArchiveRequest): string[] {
  const args = ['--model-name', r.modelName, '--version', r.version, '--handler', r.handler, '--export-path', r.exportPath];
  if (r.serializedFile) args.push('--serialized-file', r.serializedFile);
  if (r.extraFiles?.length) args.push('--extra-files', r.extraFiles.join(','));
  if (r.configFile) args.push('--config-file', r.configFile);
  if (r.archiveFormat) args.push('--archive-format', r.archiveFormat);
  if (r.force ?? true) args.push('--force');
  return args;
}

/** `node bin/nserve-archiver.js <args>`; throws with the archiver's output if it fails. */
export function runArchiver(r: ArchiveRequest, binPath = `${PACKAGE_ROOT}bin/nserve-archiver.js`): void {
  if (!existsSync(binPath)) throw new Error(`archiver CLI not found at ${binPath}`);
  try {
    execFileSync(process.execPath, [binPath, ...archiverArgs(r)], { cwd: r.cwd ?? PACKAGE_ROOT, stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; status?: number };
    throw new Error(`nserve-archiver exited ${e.status}: ${String(e.stderr ?? '')}${String(e.stdout ?? '')}`.trim());
  }
}
