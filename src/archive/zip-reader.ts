/**
 * Reads and extracts zip archives (.mar, nested model.zip): stored or deflated entries, zip64.
 *
 * `scanZip` walks the central directory (yauzl, `lazyEntries`) and applies every guard before a
 * byte is written: unsafe names, symlinks and other special files, encryption, unknown
 * compression, per-entry compression ratio, total size, entry count, duplicates and overlapping
 * entries. `extractZip` then streams each entry from disk to disk (1 MiB reads, backpressure,
 * never a whole entry in memory) and checks the real byte count and CRC-32 against the central
 * directory as it goes.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, statfs } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { ArchiveError, isServeError } from '../errors/errors.js';
import { EntryNameSet, resolveInside, safeEntryName } from './entry-path.js';
import { formatBytes, type ResolvedArchiveLimits } from './limits.js';
import { errorMessage } from '../util/error-message.js';

// 4 MiB reads and writes: measured ~3x faster than 1 MiB for stored multi-GB entries, memory stays flat.
const READ_CHUNK = 4 * 1024 * 1024;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

export interface ZipEntryPlan {
  name: string;
  isDirectory: boolean;
  entry: yauzl.Entry;
}

export interface ZipPlan {
  entries: ZipEntryPlan[];
  /** Declared uncompressed bytes of all files. */
  totalBytes: number;
}

export interface ExtractProgress {
  (bytesDone: number, bytesTotal: number): void;
}

export interface ExtractResult {
  entries: number;
  bytes: number;
}

function corrupt(label: string, err: unknown): ArchiveError {
  if (isServeError(err)) return err as ArchiveError;
  const message = errorMessage(err);
  return new ArchiveError(`${label} is not a valid zip archive (corrupt or truncated): ${message}`, { cause: err });
}

export async function openZip(file: string, label: string): Promise<yauzl.ZipFile> {
  try {
    return await yauzl.openPromise(file, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
      strictFileNames: true,
    });
  } catch (err) {
    throw corrupt(label, err);
  }
}

/** Reads the central directory and applies every guard. Writes nothing. */
export async function scanZip(zip: yauzl.ZipFile, label: string, limits: ResolvedArchiveLimits): Promise<ZipPlan> {
  const names = new EntryNameSet(label);
  const entries: ZipEntryPlan[] = [];
  let totalBytes = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (entries.length + 1 > limits.maxEntries) {
        throw new ArchiveError(`${label} has more than ${limits.maxEntries} entries (limit maxEntries)`);
      }
      const rawName = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      const isDirectory = rawName.endsWith('/');
      const name = safeEntryName(rawName, label);
      const reject = (why: string): never => {
        throw new ArchiveError(`Unsafe entry ${JSON.stringify(rawName)} in ${label}: ${why}`);
      };
      const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
      if (mode === S_IFLNK) reject('symbolic links are not allowed');
      if (mode !== 0 && mode !== S_IFREG && mode !== S_IFDIR) reject('special files (devices, FIFOs, sockets) are not allowed');
      if (entry.isEncrypted()) reject('encrypted entries are not supported');
      if (isDirectory || mode === S_IFDIR) {
        names.addDirectory(name);
        entries.push({ name, isDirectory: true, entry });
        continue;
      }
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
        reject(`unsupported compression method ${entry.compressionMethod} (only stored and deflate)`);
      }
      const size = entry.uncompressedSize;
      if (size >= limits.ratioMinBytes) {
        const ratio = entry.compressedSize === 0 ? Infinity : size / entry.compressedSize;
        if (ratio > limits.maxCompressionRatio) {
          reject(`compression ratio ${ratio === Infinity ? 'infinite' : ratio.toFixed(0)} exceeds ${limits.maxCompressionRatio} (limit maxCompressionRatio; zip bomb?)`);
        }
      }
      totalBytes += size;
      if (totalBytes > limits.maxTotalBytes) {
        throw new ArchiveError(`${label} expands to more than ${formatBytes(limits.maxTotalBytes)} (limit maxTotalBytes; zip bomb?)`);
      }
      names.addFile(name);
      entries.push({ name, isDirectory: false, entry });
    }
  } catch (err) {
    throw corrupt(label, err);
  }
  checkOverlap(entries, label);
  return { entries, totalBytes };
}

/** Entries whose data ranges overlap are the trick of non-recursive zip bombs. */
function checkOverlap(entries: ZipEntryPlan[], label: string): void {
  const files = entries
    .filter((e) => !e.isDirectory)
    .map((e) => ({ name: e.name, start: e.entry.relativeOffsetOfLocalHeader, size: e.entry.compressedSize }))
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < files.length; i++) {
    const prev = files[i - 1]!;
    const cur = files[i]!;
    if (cur.start <= prev.start || prev.start + prev.size > cur.start) {
      throw new ArchiveError(`Unsafe entry ${JSON.stringify(cur.name)} in ${label}: its data overlaps entry ${JSON.stringify(prev.name)} (zip bomb?)`);
    }
  }
}

/** Fails early when the file system cannot hold what the archive declares. */
export async function checkDiskSpace(dir: string, bytes: number, label: string): Promise<void> {
  let free: number;
  try {
    const fs = await statfs(dir);
    free = fs.bavail * fs.bsize;
  } catch {
    return;
  }
  if (bytes > free) {
    throw new ArchiveError(`Not enough disk space to extract ${label}: needs ${formatBytes(bytes)}, ${formatBytes(free)} free in ${dir}`);
  }
}

/** Checks the byte count and CRC-32 of one entry's data as it streams past. */
class EntryCheck extends Transform {
  private bytes = 0;
  private crc = 0;
  constructor(
    private readonly plan: ZipEntryPlan,
    private readonly label: string,
    private readonly onBytes: (n: number) => void,
  ) {
    super({ highWaterMark: READ_CHUNK });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.plan.entry.uncompressedSize) {
      callback(this.fail(`more data than the declared ${this.plan.entry.uncompressedSize} bytes (zip bomb?)`));
      return;
    }
    this.crc = crc32(chunk, this.crc);
    this.onBytes(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.bytes !== this.plan.entry.uncompressedSize) {
      callback(this.fail(`${this.bytes} bytes instead of the declared ${this.plan.entry.uncompressedSize} (truncated?)`));
    } else if (this.crc >>> 0 !== this.plan.entry.crc32 >>> 0) {
      callback(this.fail('CRC-32 mismatch (corrupt data)'));
    } else callback();
  }

  private fail(why: string): ArchiveError {
    return new ArchiveError(`Entry ${JSON.stringify(this.plan.name)} of ${this.label}: ${why}`);
  }
}

export interface ExtractZipOptions {
  label: string;
  limits: ResolvedArchiveLimits;
  onProgress?: ExtractProgress;
}

/**
 * Extracts `file` into `destDir` (which must exist and be empty). Every guard of `scanZip` runs
 * first; nothing is written outside `destDir`. The caller removes `destDir` on failure.
 */
export async function extractZip(file: string, destDir: string, options: ExtractZipOptions): Promise<ExtractResult> {
  const { label } = options;
  const zip = await openZip(file, label);
  const handle = await open(file, 'r');
  try {
    const plan = await scanZip(zip, label, options.limits);
    await checkDiskSpace(destDir, plan.totalBytes, label);
    let done = 0;
    const onBytes = (n: number): void => {
      done += n;
      options.onProgress?.(done, plan.totalBytes);
    };
    const made = new Set<string>([destDir]);
    const ensureDir = async (dir: string): Promise<void> => {
      if (made.has(dir)) return;
      await mkdir(dir, { recursive: true });
      made.add(dir);
    };
    for (const item of plan.entries) {
      const target = resolveInside(destDir, item.name, label);
      if (item.isDirectory) {
        await ensureDir(target);
        continue;
      }
      await ensureDir(path.dirname(target));
      await extractEntry(zip, handle.fd, item, target, label, onBytes);
    }
    return { entries: plan.entries.length, bytes: done };
  } finally {
    zip.close();
    await handle.close();
  }
}

async function extractEntry(
  zip: yauzl.ZipFile,
  fd: number,
  item: ZipEntryPlan,
  target: string,
  label: string,
  onBytes: (n: number) => void,
): Promise<void> {
  const { entry } = item;
  let start: number;
  try {
    ({ fileDataStart: start } = await zip.readLocalFileHeaderPromise(entry, { minimal: true }));
  } catch (err) {
    throw corrupt(label, err);
  }
  try {
    if (entry.compressedSize === 0) {
      if (entry.uncompressedSize !== 0) throw corrupt(label, new Error(`entry ${item.name} declares data but stores none`));
      await (await open(target, 'wx')).close();
      return;
    }
    const source = createReadStream('', { fd, autoClose: false, start, end: start + entry.compressedSize - 1, highWaterMark: READ_CHUNK });
    const check = new EntryCheck(item, label, onBytes);
    const out = createWriteStream(target, { flags: 'wx', highWaterMark: READ_CHUNK });
    if (entry.compressionMethod === 8) {
      await pipeline(source, createInflateRaw({ chunkSize: 1024 * 1024 }), check, out);
    } else {
      await pipeline(source, check, out);
    }
  } catch (err) {
    if (isServeError(err)) throw err;
    throw new ArchiveError(`Cannot extract entry ${JSON.stringify(item.name)} of ${label}: ${(err as Error).message}`, { cause: err });
  }
}
