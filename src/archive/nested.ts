/**
 * Nested zips inside a model directory (`model.zip`, `refiner.zip`, ...), extracted
 * concurrently, one worker thread per zip, into sibling directories named after the zip without
 * `.zip` (`model.zip` -> `<modelDir>/model/`). Paths inside a nested zip are kept as they are: a
 * zip whose entries all sit under one top folder `unet/...` gives `<modelDir>/model/unet/...`,
 * exactly what Python's `ZipFile(model_dir + "/model.zip").extractall(model_dir + "/model")` in
 * TorchServe's SDXL example handler gives. Each zip lands in `<name>.partial-<random>/` first and
 * is renamed into place only when complete, so a crash never leaves a half-filled `model/`.
 * A sibling directory that already exists is kept and the zip is skipped (already extracted).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ArchiveError } from '../errors/errors.js';
import { formatBytes, type ResolvedArchiveLimits } from './limits.js';
import { runExtractWorker, type RunningExtract } from './run-extract-worker.js';
import { checkDiskSpace, openZip, scanZip } from './zip-reader.js';

export const DEFAULT_NESTED = ['model.zip', 'refiner.zip'] as const;

export interface NestedExtractStats {
  /** The zip's file name (`model.zip`). */
  name: string;
  /** Where it was extracted (`<modelDir>/model`). */
  dir: string;
  entries: number;
  bytes: number;
  ms: number;
  /** The worker thread that extracted it; -1 when skipped. */
  threadId: number;
  skipped?: 'already-extracted';
}

export interface NestedBudget {
  bytes: number;
  entries: number;
}

export interface PendingNested {
  name: string;
  zipPath: string;
  targetDir: string;
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

/** Which nested zips of `dir` need extracting. Names must be plain `.zip` file names. */
export async function findNested(dir: string, nested: 'auto' | string[] | undefined, label: string): Promise<{ pending: PendingNested[]; skipped: NestedExtractStats[] }> {
  const names = nested === undefined || nested === 'auto' ? [...DEFAULT_NESTED] : nested;
  const pending: PendingNested[] = [];
  const skipped: NestedExtractStats[] = [];
  for (const name of new Set(names)) {
    if (!/^[^/\\]+\.zip$/i.test(name) || name.startsWith('.')) {
      throw new ArchiveError(`Invalid nested archive name ${JSON.stringify(name)} for ${label}: expected a .zip file name at the model root`);
    }
    const zipPath = path.join(dir, name);
    if (!(await isFile(zipPath))) continue;
    const targetDir = path.join(dir, name.slice(0, -'.zip'.length));
    if (await exists(targetDir)) {
      skipped.push({ name, dir: targetDir, entries: 0, bytes: 0, ms: 0, threadId: -1, skipped: 'already-extracted' });
      continue;
    }
    pending.push({ name, zipPath, targetDir });
  }
  return { pending, skipped };
}

export interface ExtractNestedOptions {
  label: string;
  limits: ResolvedArchiveLimits;
  /** What is left of maxTotalBytes / maxEntries after the outer archive. */
  budget: NestedBudget;
  log: (line: string) => void;
}

/** Extracts every pending nested zip concurrently (one worker thread each). */
export async function extractNested(pending: PendingNested[], options: ExtractNestedOptions): Promise<NestedExtractStats[]> {
  if (pending.length === 0) return [];
  const { label, limits, log } = options;
  // Pre-flight: read every central directory (cheap) so the combined size is checked before
  // any worker writes a byte.
  const plans: { item: PendingNested; bytes: number; entries: number; nestedLabel: string }[] = [];
  let bytesLeft = options.budget.bytes;
  let entriesLeft = options.budget.entries;
  for (const item of pending) {
    const nestedLabel = `${label}/${item.name}`;
    if (bytesLeft <= 0 || entriesLeft <= 0) {
      throw new ArchiveError(`${nestedLabel} exceeds what is left of the model's limits (maxTotalBytes ${formatBytes(limits.maxTotalBytes)}, maxEntries ${limits.maxEntries})`);
    }
    const zip = await openZip(item.zipPath, nestedLabel);
    try {
      const plan = await scanZip(zip, nestedLabel, { ...limits, maxTotalBytes: bytesLeft, maxEntries: entriesLeft });
      plans.push({ item, bytes: plan.totalBytes, entries: plan.entries.length, nestedLabel });
      bytesLeft -= plan.totalBytes;
      entriesLeft -= plan.entries.length;
    } finally {
      zip.close();
    }
  }
  await checkDiskSpace(path.dirname(pending[0]!.targetDir), plans.reduce((sum, p) => sum + p.bytes, 0), label);

  const partials: string[] = [];
  const running: RunningExtract[] = [];
  try {
    for (const { item } of plans) {
      const partial = `${item.targetDir}.partial-${randomBytes(6).toString('hex')}`;
      await mkdir(partial);
      partials.push(partial);
    }
    // All workers start together, synchronously: a failure below can stop every one of them.
    const results = plans.map(({ item, bytes, entries, nestedLabel }, i) => {
      const partial = partials[i]!;
      const run = runExtractWorker(
        { format: 'zip', archive: item.zipPath, destDir: partial, label: nestedLabel, limits: { ...limits, maxTotalBytes: Math.max(bytes, 1), maxEntries: Math.max(entries, 1) } },
        (done, total, percent) => log(`${nestedLabel}: ${formatBytes(done)} / ${formatBytes(total)} (${percent}%)`),
      );
      running.push(run);
      log(`Extracting ${nestedLabel} (${entries} entries, ${formatBytes(bytes)}) into ${item.targetDir} in worker thread ${run.threadId}`);
      return run.result.then(async (done): Promise<NestedExtractStats> => {
        await rename(partial, item.targetDir);
        log(`Extracted ${nestedLabel}: ${done.entries} entries, ${formatBytes(done.bytes)} in ${(done.ms / 1000).toFixed(2)} s (worker thread ${done.threadId})`);
        return { name: item.name, dir: item.targetDir, entries: done.entries, bytes: done.bytes, ms: done.ms, threadId: done.threadId };
      });
    });
    return await Promise.all(results);
  } catch (err) {
    await Promise.allSettled(running.map((run) => run.terminate()));
    await Promise.allSettled(running.map((run) => run.result));
    await Promise.allSettled(partials.map((partial) => rm(partial, { recursive: true, force: true })));
    throw err;
  }
}
