/**
 * What goes into an archive, following torch-model-archiver's layout: every artifact flat at the
 * root (a directory given in `--extra-files` contributes its contents, sub-directories kept),
 * `__MACOSX`, `__pycache__` and dot-directories skipped, plus `MAR-INF/MANIFEST.json`.
 *
 * Handler strings: a built-in name (`onnx`, `stable_diffusion_xl`, ...) is recorded as is. A
 * handler file (`my_handler.js`, `dir/my_handler.js:ExportName`, also `.mjs`/`.cjs`/`.py`, or
 * torch-model-archiver's `dir/module[:fn]` meaning `dir/module.py`) is copied to the root and
 * recorded by file name, entry point kept (`my_handler.js:ExportName`).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../handlers/handler.js';
import { buildManifest } from '../archive/index.js';
import { UsageError, type ArchiverOptions } from './args.js';

export interface ArchiveFile {
  /** Path inside the archive (POSIX). */
  name: string;
  /** Path on disk. */
  source: string;
  size: number;
}

export interface ArchivePlan {
  files: ArchiveFile[];
  manifest: Manifest;
  totalBytes: number;
  /** Non-fatal notes (e.g. a name given twice). */
  warnings: string[];
}

const HANDLER_FILE = /\.(m?js|cjs|py)$/;
const SKIPPED_DIRS = new Set(['__MACOSX', '__pycache__']);

async function fileInfo(flag: string, file: string, cwd: string): Promise<{ path: string; size: number; isDirectory: boolean }> {
  const full = path.resolve(cwd, file);
  const info = await stat(full).catch(() => undefined);
  if (info === undefined) throw new UsageError(`argument ${flag}: file not found: ${file}`);
  return { path: full, size: info.size, isDirectory: info.isDirectory() };
}

async function requireFile(flag: string, file: string, cwd: string): Promise<ArchiveFile> {
  const info = await fileInfo(flag, file, cwd);
  if (info.isDirectory) throw new UsageError(`argument ${flag}: expected a file, got a directory: ${file}`);
  return { name: path.basename(info.path), source: info.path, size: info.size };
}

async function walk(dir: string, prefix: string, out: ArchiveFile[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    const info = await stat(full).catch(() => undefined);
    if (info === undefined) continue;
    if (info.isDirectory()) {
      if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name)) continue;
      await walk(full, `${prefix}${entry.name}/`, out);
    } else if (info.isFile()) {
      out.push({ name: `${prefix}${entry.name}`, source: full, size: info.size });
    }
  }
}

/** Resolves the handler: `{ recorded, file }` (file undefined for built-in names). */
async function resolveHandler(handler: string, cwd: string): Promise<{ recorded: string; file?: ArchiveFile }> {
  const colon = handler.lastIndexOf(':');
  // `C:\x` style drive letters are not entry points.
  const hasEntry = colon > 1 && !handler.slice(colon + 1).includes('/') && !handler.slice(colon + 1).includes('\\');
  const modulePart = hasEntry ? handler.slice(0, colon) : handler;
  const entry = hasEntry ? handler.slice(colon) : '';
  const looksLikeFile = HANDLER_FILE.test(modulePart) || modulePart.includes('/') || modulePart.includes(path.sep);
  if (!looksLikeFile) return { recorded: handler };
  let file = modulePart;
  if (!HANDLER_FILE.test(modulePart)) {
    const candidates = [`${modulePart}.js`, `${modulePart}.mjs`, `${modulePart}.py`];
    const found = [];
    for (const candidate of candidates) if ((await stat(path.resolve(cwd, candidate)).catch(() => undefined))?.isFile()) found.push(candidate);
    if (found.length === 0) throw new UsageError(`argument --handler: handler file not found: ${candidates.join(' or ')}`);
    file = found[0]!;
  }
  const copied = await requireFile('--handler', file, cwd);
  const recordedModule = HANDLER_FILE.test(modulePart) ? copied.name : path.basename(modulePart);
  return { recorded: `${recordedModule}${entry}`, file: copied };
}

export async function planArchive(options: ArchiverOptions, cwd: string, archiverVersion: string): Promise<ArchivePlan> {
  const ordered: ArchiveFile[] = [];
  const optional = async (flag: string, file: string | undefined): Promise<ArchiveFile | undefined> => {
    if (file === undefined) return undefined;
    const found = await requireFile(flag, file, cwd);
    ordered.push(found);
    return found;
  };
  const modelFile = await optional('--model-file', options.modelFile);
  const serialized = await optional('--serialized-file', options.serializedFile);
  const handler = await resolveHandler(options.handler, cwd);
  if (handler.file !== undefined) ordered.push(handler.file);
  for (const extra of options.extraFiles) {
    const info = await fileInfo('--extra-files', extra, cwd);
    if (info.isDirectory) await walk(info.path, '', ordered);
    else ordered.push({ name: path.basename(info.path), source: info.path, size: info.size });
  }
  const requirements = await optional('-r/--requirements-file', options.requirementsFile);
  const config = await optional('-c/--config-file', options.configFile);

  // Same name twice: the same file is kept once; a different file replaces the earlier one
  // (torch-model-archiver copies into one folder, so the last copy wins there too).
  const byName = new Map<string, ArchiveFile>();
  const warnings: string[] = [];
  for (const file of ordered) {
    if (file.name.toUpperCase().startsWith('MAR-INF/')) {
      warnings.push(`skipping ${file.source}: MAR-INF/ is reserved for the manifest`);
      continue;
    }
    const seen = byName.get(file.name);
    if (seen !== undefined && (await realpath(seen.source)) !== (await realpath(file.source))) {
      warnings.push(`${file.name} given twice: ${file.source} replaces ${seen.source}`);
    }
    byName.delete(file.name);
    byName.set(file.name, file);
  }
  const files = [...byName.values()];
  const manifest = buildManifest({
    modelName: options.modelName,
    modelVersion: options.version,
    handler: handler.recorded,
    runtime: options.runtime,
    serializedFile: serialized?.name,
    modelFile: modelFile?.name,
    requirementsFile: requirements?.name,
    configFile: config?.name,
    archiverVersion,
  });
  return { files, manifest, totalBytes: files.reduce((sum, f) => sum + f.size, 0), warnings };
}
