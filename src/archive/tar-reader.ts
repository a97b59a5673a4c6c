/**
 * Extracts `.tar.gz` / `.tgz` model archives as TorchServe does: gunzip + untar, dropping the
 * first path component of every entry (torch-model-archiver's tgz prefixes all entries with
 * `<model-name>/`). One streaming pass with backpressure; the guards are those of the zip
 * reader: unsafe names, symlinks and hard links, special files, duplicates, entry count, total
 * size and the compression ratio of the whole stream.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { ArchiveError, isServeError } from '../errors/errors.js';
import { EntryNameSet, resolveInside, safeEntryName } from './entry-path.js';
import { formatBytes, type ResolvedArchiveLimits } from './limits.js';
import type { ExtractProgress, ExtractResult } from './zip-reader.js';
import { errorMessage } from '../util/error-message.js';

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

export interface ExtractTarOptions {
  label: string;
  limits: ResolvedArchiveLimits;
  /** Leading path components to drop (TorchServe: 1). */
  strip?: number;
  /** Progress in compressed bytes read of the archive file. */
  onProgress?: ExtractProgress;
}

/** Counts bytes flowing through; `check` may throw to abort the stream. */
class Counter extends Transform {
  bytes = 0;
  constructor(private readonly check: (bytes: number, delta: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    try {
      this.check(this.bytes, chunk.length);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, chunk);
  }
}

export async function extractTarGz(file: string, destDir: string, options: ExtractTarOptions): Promise<ExtractResult> {
  const { label, limits } = options;
  const strip = options.strip ?? 1;
  const fileSize = (await stat(file)).size;
  const names = new EntryNameSet(label);
  let entries = 0;
  let declared = 0;
  let written = 0;
  let failure: unknown;
  let chain: Promise<void> = Promise.resolve();

  const compressed = new Counter((bytes) => options.onProgress?.(bytes, fileSize));
  const expanded = new Counter((bytes) => {
    if (bytes >= limits.ratioMinBytes && bytes / Math.max(compressed.bytes, 1) > limits.maxCompressionRatio) {
      throw new ArchiveError(`${label} expands more than ${limits.maxCompressionRatio} times its compressed size (limit maxCompressionRatio; gzip bomb?)`);
    }
  });

  const handleEntry = (entry: ReadEntry): void => {
    if (failure !== undefined) {
      entry.resume();
      return;
    }
    try {
      entries += 1;
      if (entries > limits.maxEntries) throw new ArchiveError(`${label} has more than ${limits.maxEntries} entries (limit maxEntries)`);
      const rawName = entry.path;
      if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
        throw new ArchiveError(`Unsafe entry ${JSON.stringify(rawName)} in ${label}: ${entry.type === 'Link' ? 'hard' : 'symbolic'} links are not allowed`);
      }
      const isDirectory = entry.type === 'Directory';
      if (!isDirectory && !FILE_TYPES.has(entry.type)) {
        throw new ArchiveError(`Unsafe entry ${JSON.stringify(rawName)} in ${label}: entry type ${entry.type} is not allowed`);
      }
      const trimmed = rawName.replace(/^(\.\/)+/, '');
      if (isDirectory && (trimmed === '' || trimmed === '.' || trimmed === './')) {
        entry.resume();
        return;
      }
      const name = safeEntryName(rawName, label);
      const kept = name.split('/').slice(strip).join('/');
      if (kept === '') {
        // The `<model-name>/` top folder itself, or a file above it: TorchServe drops those too.
        entry.resume();
        return;
      }
      if (isDirectory) names.addDirectory(kept);
      else names.addFile(kept);
      const size = entry.size ?? 0;
      declared += size;
      if (declared > limits.maxTotalBytes) {
        throw new ArchiveError(`${label} expands to more than ${formatBytes(limits.maxTotalBytes)} (limit maxTotalBytes)`);
      }
      const target = resolveInside(destDir, kept, label);
      chain = chain.then(() => writeEntry(entry, target, isDirectory, (n) => (written += n)));
      chain.catch((err: unknown) => fail(err));
    } catch (err) {
      fail(err);
      entry.resume();
    }
  };

  const parser = new Parser({ strict: true, onReadEntry: handleEntry });
  const source = createReadStream(file, { highWaterMark: 1024 * 1024 });
  const fail = (err: unknown): void => {
    if (failure === undefined) failure = err;
    source.destroy(err as Error);
  };
  const parsed = new Promise<void>((resolve, reject) => {
    parser.on('error', reject);
    parser.on('end', resolve);
    parser.on('close', resolve);
  });
  try {
    await pipeline(source, compressed, createGunzip(), expanded, parser as unknown as NodeJS.WritableStream);
    await parsed;
    await chain;
  } catch (err) {
    throw toArchiveError(failure ?? err, label);
  }
  if (failure !== undefined) throw toArchiveError(failure, label);
  return { entries, bytes: written };
}

async function writeEntry(entry: ReadEntry, target: string, isDirectory: boolean, onBytes: (n: number) => void): Promise<void> {
  if (isDirectory) {
    await mkdir(target, { recursive: true });
    entry.resume();
    return;
  }
  await mkdir(path.dirname(target), { recursive: true });
  const count = new Counter((_total, delta) => onBytes(delta));
  await pipeline(entry as unknown as NodeJS.ReadableStream, count, createWriteStream(target, { flags: 'wx' }));
}

function toArchiveError(err: unknown, label: string): ArchiveError {
  if (isServeError(err)) return err as ArchiveError;
  const message = errorMessage(err);
  return new ArchiveError(`${label} is not a valid tar.gz archive (corrupt or truncated): ${message}`, { cause: err });
}
