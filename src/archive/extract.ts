/**
 * `extractModelArchive`: turns a model source (`.mar`/zip, `.tar.gz`/`.tgz`, or a no-archive
 * directory) into a model directory, then extracts nested `model.zip` / `refiner.zip`
 * concurrently in worker threads.
 *
 * Layout a handler can rely on (`context.modelDir`):
 * - every artifact of the archive at the root, `MAR-INF/MANIFEST.json` included (tgz: the first
 *   path component of every entry dropped, as TorchServe does);
 * - `model.zip` -> `model/`, `refiner.zip` -> `refiner/` (and, with `nested: [...]`, any other
 *   root-level zip named): the zip's paths are kept as they are inside that folder, so a zip
 *   whose entries sit under one top folder gives `model/<that folder>/...`; the zips themselves
 *   stay in place.
 *
 * Sources:
 * - archive: extracted (in a worker thread) into a fresh `<destDir>/<32 hex>/`; `cleanup()`
 *   removes it. Magic bytes decide the format, not the file name.
 * - directory: used in place, no copy (if its only entry is a directory, that one, as
 *   TorchServe). If nested zips still need extracting, the model directory is instead a fresh
 *   `<destDir>/<32 hex>/` of symbolic links to the source's entries plus the extracted folders,
 *   so the source is never written to (it may be a read-only mount). `cleanup()` removes only
 *   what nserve created.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { ArchiveError, InvalidModelError } from '../errors/errors.js';
import type { Manifest } from '../handlers/handler.js';
import { detectFormat } from './detect.js';
import { resolveInside, safeEntryName } from './entry-path.js';
import { formatBytes, resolveLimits, type ArchiveLimits } from './limits.js';
import { emptyManifest, MANIFEST_PATH, parseManifest } from './manifest.js';
import { parseModelConfig } from './model-config.js';
import { extractNested, findNested, type NestedExtractStats } from './nested.js';
import { runExtractWorker } from './run-extract-worker.js';

const MAX_MANIFEST_BYTES = 1024 * 1024;
const MAX_MODEL_CONFIG_BYTES = 16 * 1024 * 1024;

export interface ExtractModelOptions {
  /** Work directory under which a fresh `<32 hex>/` model directory is created (e.g. `${tmp}/models`). */
  destDir: string;
  limits?: ArchiveLimits;
  /** Progress and summary lines. */
  log?: (line: string) => void;
  /** Nested zips to extract: `'auto'` (default) = `model.zip`, `refiner.zip`; `[]` = none. */
  nested?: 'auto' | string[];
}

export interface ExtractStats {
  format: 'zip' | 'tgz' | 'directory';
  /** Entries and bytes of the outer archive (0 for directories). */
  entries: number;
  bytes: number;
  ms: number;
  nested: NestedExtractStats[];
}

export interface ExtractedModel {
  modelDir: string;
  /** Parsed, not yet validated: call `validateManifest` after the register call's overrides. */
  manifest: Manifest;
  /** The archive's model-config YAML (`{}` when none). */
  modelConfig: Record<string, unknown>;
  source: string;
  stats: ExtractStats;
  /** Removes what extraction created (never a directory source itself). */
  cleanup(): Promise<void>;
}

const newDirName = (): string => randomBytes(16).toString('hex');

export async function extractModelArchive(source: string, options: ExtractModelOptions): Promise<ExtractedModel> {
  const started = Date.now();
  const limits = resolveLimits(options.limits);
  const log = options.log ?? ((): void => undefined);
  const label = path.basename(source);
  const info = await stat(source).catch(() => undefined);
  if (info === undefined) throw new ArchiveError(`Model archive not found: ${label}`);

  let modelDir: string;
  let owned: string | undefined;
  const stats: ExtractStats = { format: 'directory', entries: 0, bytes: 0, ms: 0, nested: [] };
  try {
    if (info.isDirectory()) {
      const dir = await directorySource(source);
      const { pending } = await findNested(dir, options.nested, label);
      if (pending.length === 0) modelDir = dir;
      else {
        owned = path.join(options.destDir, newDirName());
        await overlay(dir, owned);
        modelDir = owned;
        log(`Model directory ${label} has nested zips to extract: using ${owned} (links to ${dir}) so the source stays untouched`);
      }
    } else {
      const format = await detectFormat(source);
      if (format === 'unknown') throw new ArchiveError(`${label} is neither a zip (.mar) nor a tar.gz archive`);
      owned = path.join(options.destDir, newDirName());
      await mkdir(owned, { recursive: true });
      modelDir = owned;
      const run = runExtractWorker({ format, archive: source, destDir: owned, label, limits, strip: 1 }, (done, total, percent) =>
        log(`${label}: ${formatBytes(done)} / ${formatBytes(total)} (${percent}%)`),
      );
      log(`Extracting ${label} (${format}) into ${owned} in worker thread ${run.threadId}`);
      const done = await run.result;
      log(`Extracted ${label}: ${done.entries} entries, ${formatBytes(done.bytes)} in ${(done.ms / 1000).toFixed(2)} s`);
      Object.assign(stats, { format, entries: done.entries, bytes: done.bytes });
    }

    const manifest = await readManifest(modelDir, label);
    const modelConfig = await readModelConfig(modelDir, manifest, label);
    const { pending, skipped } = await findNested(modelDir, options.nested, label);
    for (const s of skipped) log(`${label}/${s.name}: ${path.basename(s.dir)}/ already exists, not extracted again`);
    const nested = await extractNested(pending, {
      label,
      limits,
      budget: { bytes: limits.maxTotalBytes - stats.bytes, entries: limits.maxEntries - stats.entries },
      log,
    });
    stats.nested = [...nested, ...skipped];
    stats.ms = Date.now() - started;
    const toRemove = owned;
    return {
      modelDir,
      manifest,
      modelConfig,
      source,
      stats,
      cleanup: async () => {
        if (toRemove !== undefined) await rm(toRemove, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (owned !== undefined) await rm(owned, { recursive: true, force: true });
    throw err;
  }
}

/** TorchServe's no-archive rule: a directory whose only entry is a directory means that one. */
async function directorySource(dir: string): Promise<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  const only = entries.length === 1 ? entries[0] : undefined;
  return only?.isDirectory() ? path.join(dir, only.name) : dir;
}

async function overlay(sourceDir: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(sourceDir)) await symlink(path.join(sourceDir, name), path.join(dir, name));
}

async function readCapped(file: string, max: number, what: string): Promise<string | undefined> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined) return undefined;
  if (!info.isFile()) throw new InvalidModelError(`${what} is not a file`);
  if (info.size > max) throw new InvalidModelError(`${what} is larger than ${formatBytes(max)}`);
  return readFile(file, 'utf8');
}

async function readManifest(modelDir: string, label: string): Promise<Manifest> {
  const text = await readCapped(path.join(modelDir, MANIFEST_PATH), MAX_MANIFEST_BYTES, `${label}: ${MANIFEST_PATH}`);
  return text === undefined ? emptyManifest() : parseManifest(text, label);
}

async function readModelConfig(modelDir: string, manifest: Manifest, label: string): Promise<Record<string, unknown>> {
  const configFile = manifest.model.configFile;
  if (configFile === undefined || configFile === '') return {};
  let name: string;
  try {
    name = safeEntryName(configFile, label);
  } catch {
    throw new InvalidModelError(`Invalid ${MANIFEST_PATH} in ${label}: model.configFile ${JSON.stringify(configFile)} is not a relative path inside the archive`);
  }
  const where = `${label}:${name}`;
  const text = await readCapped(resolveInside(modelDir, name, label), MAX_MODEL_CONFIG_BYTES, where);
  if (text === undefined) throw new InvalidModelError(`Model config ${where} named by ${MANIFEST_PATH} is missing from the archive`);
  return parseModelConfig(text, where);
}
