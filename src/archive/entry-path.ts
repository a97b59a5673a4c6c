/**
 * Entry-name guards shared by the zip and tar readers: zip-slip, absolute paths, drive letters,
 * backslashes, duplicates and file/directory collisions. Containment is decided with
 * `path.relative`, never a string prefix (TorchServe's prefix test lets `/models/m1-evil`
 * pass for `/models/m1`).
 */
import path from 'node:path';
import { ArchiveError } from '../errors/errors.js';

const MAX_NAME_LENGTH = 4096;
const MAX_SEGMENT_LENGTH = 255;
const MAX_DEPTH = 64;

/**
 * Validates an archive entry name and returns it normalised (POSIX separators, no `.` segments,
 * no trailing slash). Throws `ArchiveError` naming the archive and the entry.
 */
export function safeEntryName(rawName: string, archive: string): string {
  const fail = (why: string): never => {
    throw new ArchiveError(`Unsafe entry ${JSON.stringify(rawName)} in ${archive}: ${why}`);
  };
  if (rawName.length === 0) fail('empty name');
  if (rawName.length > MAX_NAME_LENGTH) fail(`name longer than ${MAX_NAME_LENGTH} characters`);
  if (rawName.includes('\0')) fail('NUL character in name');
  if (rawName.includes('\\')) fail('backslash in name (Windows path separators are not accepted)');
  if (/^[A-Za-z]:/.test(rawName)) fail('absolute path (drive letter)');
  if (rawName.startsWith('/')) fail('absolute path');
  const segments = rawName.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) fail('path traversal ("..")');
  if (segments.length === 0) fail('name refers to the archive root');
  if (segments.length > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH} directories`);
  if (segments.some((s) => Buffer.byteLength(s) > MAX_SEGMENT_LENGTH)) fail(`a path segment is longer than ${MAX_SEGMENT_LENGTH} bytes`);
  return segments.join('/').normalize('NFC');
}

/** Resolves `name` (already validated) under `root` and proves it stays inside. */
export function resolveInside(root: string, name: string, archive: string): string {
  const target = path.resolve(root, name);
  const rel = path.relative(root, target);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new ArchiveError(`Unsafe entry ${JSON.stringify(name)} in ${archive}: resolves outside the model directory`);
  }
  return target;
}

/**
 * Tracks entry names of one archive: rejects duplicates (also after case folding, so an archive
 * extracts identically on case-insensitive file systems) and a name used both as a file and as a
 * directory.
 */
export class EntryNameSet {
  private readonly files = new Map<string, string>();
  private readonly dirs = new Set<string>();
  constructor(private readonly archive: string) {}

  addFile(name: string): void {
    const key = name.toLowerCase();
    const seen = this.files.get(key);
    if (seen !== undefined) {
      const what = seen === name ? 'duplicate entry' : `collides with ${JSON.stringify(seen)} on case-insensitive file systems`;
      throw new ArchiveError(`Unsafe entry ${JSON.stringify(name)} in ${this.archive}: ${what}`);
    }
    if (this.dirs.has(key)) throw this.conflict(name);
    this.files.set(key, name);
    this.addParents(name);
  }

  addDirectory(name: string): void {
    const key = name.toLowerCase();
    if (this.files.has(key)) throw this.conflict(name);
    this.dirs.add(key);
    this.addParents(name);
  }

  private addParents(name: string): void {
    let at = name.lastIndexOf('/');
    while (at > 0) {
      const parent = name.slice(0, at);
      const key = parent.toLowerCase();
      if (this.files.has(key)) throw this.conflict(parent);
      if (this.dirs.has(key)) return;
      this.dirs.add(key);
      at = parent.lastIndexOf('/');
    }
  }

  private conflict(name: string): ArchiveError {
    return new ArchiveError(`Unsafe entry ${JSON.stringify(name)} in ${this.archive}: used both as a file and as a directory`);
  }
}
