import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EntryNameSet, resolveInside, safeEntryName } from '../../../src/archive/entry-path.js';

describe('safeEntryName', () => {
  it('normalises harmless names', () => {
    expect(safeEntryName('a/b.txt', 'x')).toBe('a/b.txt');
    expect(safeEntryName('./a//b/./c/', 'x')).toBe('a/b/c');
    expect(safeEntryName('dir/', 'x')).toBe('dir');
    expect(safeEntryName('..foo/bar..', 'x')).toBe('..foo/bar..');
  });

  it('rejects traversal, absolute paths, drive letters, backslashes, NUL and root', () => {
    for (const name of ['..', '../a', 'a/../../b', 'a/..', '/etc/passwd', 'C:/x', 'c:x', 'a\\b', 'a\0b', '', '.', './']) {
      expect(() => safeEntryName(name, 'x.mar'), JSON.stringify(name)).toThrow(/^Unsafe entry .* in x\.mar: /);
    }
  });

  it('rejects absurd names', () => {
    expect(() => safeEntryName('a'.repeat(256), 'x')).toThrow(/longer than 255 bytes/);
    expect(() => safeEntryName(Array(65).fill('d').join('/'), 'x')).toThrow(/deeper than 64/);
  });
});

describe('resolveInside', () => {
  it('accepts paths inside and refuses the sibling-prefix trick', () => {
    const root = path.resolve('/models/m1');
    expect(resolveInside(root, 'a/b', 'x')).toBe(path.join(root, 'a/b'));
    // `/models/m1-evil` starts with `/models/m1` but is outside it.
    expect(() => resolveInside(root, '../m1-evil/x', 'x')).toThrow(/outside the model directory/);
    expect(() => resolveInside(root, '.', 'x')).toThrow(/outside the model directory/);
  });
});

describe('EntryNameSet', () => {
  it('tracks files, directories and their parents', () => {
    const set = new EntryNameSet('x');
    set.addDirectory('a');
    set.addFile('a/b/c.txt');
    set.addFile('a/d.txt');
    expect(() => set.addFile('a/b')).toThrow(/used both as a file and as a directory/);
    expect(() => set.addFile('A/D.TXT')).toThrow(/collides with "a\/d.txt"/);
    expect(() => set.addDirectory('a/d.txt')).toThrow(/used both as a file and as a directory/);
    expect(() => set.addFile('a/d.txt/e')).toThrow(/used both as a file and as a directory/);
  });
});
