/**
 * Hostile and broken archives: every guard rejects with an ArchiveError naming the archive and
 * the entry, and nothing is written outside (or left inside) the work directory.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import yazl from 'yazl';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractModelArchive } from '../../../src/archive/index.js';
import type { ArchiveLimits } from '../../../src/archive/limits.js';
import { ArchiveError } from '../../../src/errors/errors.js';
import { buildTar, buildTgz, buildZip, type RawTarEntry, type RawZipEntry } from './raw-archives.js';

let work: string;
let dest: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'nserve-guards-'));
  dest = path.join(work, 'models');
  await mkdir(dest);
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function rejectArchive(bytes: Buffer, name: string, limits?: ArchiveLimits): Promise<string> {
  const file = path.join(work, name);
  await writeFile(file, bytes);
  const err = await extractModelArchive(file, { destDir: dest, limits }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ArchiveError);
  // Nothing left in the work dir, nothing beside the archive.
  expect(await readdir(dest)).toEqual([]);
  await rm(file);
  expect(await readdir(work)).toEqual(['models']);
  return (err as Error).message;
}

const ok: RawZipEntry = { name: 'MAR-INF/MANIFEST.json', data: Buffer.from('{"model":{"modelName":"m"}}') };

describe('zip-slip and unsafe names', () => {
  const cases: [string, string][] = [
    ['../evil.txt', 'path traversal ("..")'],
    ['a/../../evil.txt', 'path traversal ("..")'],
    ['/tmp/evil.txt', 'absolute path'],
    ['C:/evil.txt', 'absolute path (drive letter)'],
    ['..\\evil.txt', 'backslash in name'],
    ['a\\..\\..\\evil.txt', 'backslash in name'],
  ];
  for (const [name, why] of cases) {
    it(`rejects zip entry ${JSON.stringify(name)}`, async () => {
      const message = await rejectArchive(buildZip([ok, { name, data: Buffer.from('pwned') }]), 'slip.mar');
      expect(message).toBe(`Unsafe entry ${JSON.stringify(name)} in slip.mar: ${why}${why === 'backslash in name' ? ' (Windows path separators are not accepted)' : ''}`);
    });
  }

  it('rejects tar entries that escape after the first component is dropped', async () => {
    const message = await rejectArchive(buildTgz([{ name: 'm/../../evil.txt', data: Buffer.from('x') }]), 'slip.tar.gz');
    expect(message).toBe('Unsafe entry "m/../../evil.txt" in slip.tar.gz: path traversal ("..")');
    const abs = await rejectArchive(buildTgz([{ name: '/etc/evil', data: Buffer.from('x') }]), 'abs.tgz');
    expect(abs).toMatch(/^Unsafe entry .* in abs\.tgz: absolute path/);
  });
});

describe('links and special files', () => {
  it('rejects a zip entry whose unix mode is a symlink', async () => {
    const message = await rejectArchive(buildZip([ok, { name: 'link', data: Buffer.from('/etc/passwd'), method: 0, unixMode: 0o120777 }]), 'link.mar');
    expect(message).toBe('Unsafe entry "link" in link.mar: symbolic links are not allowed');
  });

  it('rejects a zip entry that is a device file', async () => {
    const message = await rejectArchive(buildZip([{ name: 'dev', method: 0, unixMode: 0o020644 }]), 'dev.mar');
    expect(message).toMatch(/special files/);
  });

  const tarCases: [RawTarEntry, string][] = [
    [{ name: 'm/link', type: '2', linkname: '/etc/passwd' }, 'symbolic links are not allowed'],
    [{ name: 'm/hard', type: '1', linkname: 'm/../../etc/passwd' }, 'hard links are not allowed'],
    [{ name: 'm/tty', type: '3' }, 'entry type CharacterDevice is not allowed'],
  ];
  for (const [entry, why] of tarCases) {
    it(`rejects tar entry type ${entry.type}`, async () => {
      const message = await rejectArchive(buildTgz([{ name: 'm/ok.txt', data: Buffer.from('ok') }, entry]), 'links.tgz');
      expect(message).toBe(`Unsafe entry ${JSON.stringify(entry.name)} in links.tgz: ${why}`);
    });
  }
});

describe('zip bombs', () => {
  const zeros = Buffer.alloc(8 * 1024 * 1024);

  it('rejects an entry whose compression ratio is above the limit', async () => {
    const message = await rejectArchive(buildZip([{ name: 'zeros.bin', data: zeros }]), 'bomb.mar');
    expect(message).toMatch(/^Unsafe entry "zeros\.bin" in bomb\.mar: compression ratio \d+ exceeds 200 \(limit maxCompressionRatio; zip bomb\?\)$/);
  });

  it('admits the same entry when the ratio limit allows it', async () => {
    const file = path.join(work, 'zeros.mar');
    await writeFile(file, buildZip([{ name: 'zeros.bin', data: zeros }]));
    const model = await extractModelArchive(file, { destDir: dest, limits: { maxCompressionRatio: 2000 } });
    expect(model.stats.bytes).toBe(zeros.length);
    await model.cleanup();
  });

  it('rejects archives over the total size or entry count', async () => {
    const big = await rejectArchive(buildZip([{ name: 'a', data: Buffer.alloc(600) }, { name: 'b', data: Buffer.alloc(600) }]), 'big.mar', { maxTotalBytes: 1000 });
    expect(big).toBe('big.mar expands to more than 1000 B (limit maxTotalBytes; zip bomb?)');
    const many = await rejectArchive(buildZip(Array.from({ length: 6 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') }))), 'many.mar', { maxEntries: 5 });
    expect(many).toBe('many.mar has more than 5 entries (limit maxEntries)');
  });

  it('stops an entry that inflates past its declared size', async () => {
    const message = await rejectArchive(buildZip([{ name: 'liar.bin', data: Buffer.alloc(200_000, 1), declaredSize: 1000 }]), 'liar.mar');
    expect(message).toBe('Entry "liar.bin" of liar.mar: more data than the declared 1000 bytes (zip bomb?)');
  });

  it('rejects entries whose data overlap (non-recursive zip bomb)', async () => {
    const zip = buildZip([{ name: 'a', data: Buffer.from('aaaa'), method: 0 }, { name: 'b', data: Buffer.from('bbbb'), method: 0 }]);
    // Point b's central-directory offset at a's local header.
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), 0);
    const second = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), cd + 4);
    zip.writeUInt32LE(0, second + 42);
    const message = await rejectArchive(zip, 'overlap.mar');
    expect(message).toMatch(/overlaps entry/);
  });

  it('rejects a gzip stream that expands too much', async () => {
    const tgz = gzipSync(buildTar([{ name: 'm/zeros.bin', data: zeros }]));
    const message = await rejectArchive(tgz, 'bomb.tgz');
    expect(message).toBe('bomb.tgz expands more than 200 times its compressed size (limit maxCompressionRatio; gzip bomb?)');
  });
});

describe('duplicates and collisions', () => {
  const cases: [RawZipEntry[], string][] = [
    [[{ name: 'a.txt', data: Buffer.from('1') }, { name: 'a.txt', data: Buffer.from('2') }], 'Unsafe entry "a.txt" in dup.mar: duplicate entry'],
    [[{ name: 'A.txt', data: Buffer.from('1') }, { name: 'a.txt', data: Buffer.from('2') }], 'Unsafe entry "a.txt" in dup.mar: collides with "A.txt" on case-insensitive file systems'],
    [[{ name: 'x/./a.txt', data: Buffer.from('1') }, { name: 'x/a.txt', data: Buffer.from('2') }], 'Unsafe entry "x/a.txt" in dup.mar: duplicate entry'],
    [[{ name: 'd', data: Buffer.from('1') }, { name: 'd/a.txt', data: Buffer.from('2') }], 'Unsafe entry "d" in dup.mar: used both as a file and as a directory'],
  ];
  for (const [entries, message] of cases) {
    it(`rejects ${entries.map((e) => e.name).join(' + ')}`, async () => {
      expect(await rejectArchive(buildZip(entries), 'dup.mar')).toBe(message);
    });
  }

  it('rejects duplicate tar entries', async () => {
    const tgz = buildTgz([{ name: 'm/a', data: Buffer.from('1') }, { name: 'm/a', data: Buffer.from('2') }]);
    expect(await rejectArchive(tgz, 'dup.tgz')).toBe('Unsafe entry "a" in dup.tgz: duplicate entry');
  });
});

describe('corrupt and truncated archives', () => {
  const payload = Buffer.alloc(100_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) % 251;

  it('rejects a truncated zip', async () => {
    const zip = buildZip([ok, { name: 'model.onnx', data: payload }]);
    const message = await rejectArchive(zip.subarray(0, Math.floor(zip.length / 2)), 'cut.mar');
    expect(message).toMatch(/^cut\.mar is not a valid zip archive \(corrupt or truncated\): /);
  });

  it('rejects entry data that runs past the end of the file', async () => {
    const zip = buildZip([{ name: 'model.onnx', data: payload, method: 0 }]);
    // Declare a larger compressed size in the central directory.
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(payload.length * 4, cd + 20);
    zip.writeUInt32LE(payload.length * 4, cd + 24);
    expect(await rejectArchive(zip, 'overflow.mar')).toMatch(/overflow\.mar is not a valid zip archive .*file data overflows file bounds|overlaps/);
  });

  it('rejects corrupt data by its CRC-32', async () => {
    const zip = buildZip([{ name: 'model.onnx', data: payload, method: 0 }]);
    zip[30 + 'model.onnx'.length + 10] ^= 0xff;
    expect(await rejectArchive(zip, 'crc.mar')).toBe('Entry "model.onnx" of crc.mar: CRC-32 mismatch (corrupt data)');
  });

  it('rejects a corrupt deflate stream', async () => {
    const good = buildZip([{ name: 'model.onnx', data: payload }]);
    const start = 30 + 'model.onnx'.length;
    const size = deflateRawSync(payload).length;
    good.fill(0xff, start, start + Math.min(size, 64));
    expect(await rejectArchive(good, 'inflate.mar')).toMatch(/^Cannot extract entry "model\.onnx" of inflate\.mar: /);
  });

  it('rejects a truncated tar.gz', async () => {
    const tgz = buildTgz([{ name: 'm/model.onnx', data: payload }]);
    expect(await rejectArchive(tgz.subarray(0, tgz.length - 40), 'cut.tgz')).toMatch(/^cut\.tgz is not a valid tar\.gz archive \(corrupt or truncated\): /);
  });

  it('reads zip64 archives', async () => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(payload, 'model.onnx', { forceZip64Format: true, compress: false });
    zip.end({ forceZip64Format: true });
    const chunks: Buffer[] = [];
    for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBe(true); // zip64 end of central directory
    const file = path.join(work, 'z64.mar');
    await writeFile(file, bytes);
    const model = await extractModelArchive(file, { destDir: dest });
    expect(model.stats).toMatchObject({ entries: 1, bytes: payload.length });
    await model.cleanup();
  });
});
