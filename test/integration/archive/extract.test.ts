import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractModelArchive } from '../../../src/archive/index.js';
import { ArchiveError, InvalidModelError } from '../../../src/errors/errors.js';
import { buildTgz, buildZip } from './raw-archives.js';

let work: string;
/** Byte comparison without vitest's per-element deep equality (slow on megabytes). */
async function expectFile(file: string, expected: Buffer): Promise<void> {
  const actual = await readFile(file);
  expect(actual.length, file).toBe(expected.length);
  expect(actual.equals(expected), `${file} has the archived bytes`).toBe(true);
}
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'nserve-extract-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

const manifest = (extra: Record<string, unknown> = {}): Buffer =>
  Buffer.from(JSON.stringify({ createdOn: '01/02/2024 10:11:12', runtime: 'python', model: { modelName: 'm', modelVersion: '2.0', handler: 'onnx', ...extra }, archiverVersion: '0.12.0' }));

describe('extractModelArchive: formats', () => {
  const weights = randomBytes(300_000);
  const text = Buffer.from('hello\n'.repeat(1000));

  for (const method of [0, 8] as const) {
    it(`reads a ${method === 0 ? 'stored' : 'deflated'} .mar into a fresh model directory`, async () => {
      const mar = path.join(work, 'm.mar');
      await writeFile(mar, buildZip([
        { name: 'MAR-INF/MANIFEST.json', data: manifest(), method },
        { name: 'model.onnx', data: weights, method },
        { name: 'sub/', method: 0 },
        { name: 'sub/notes.txt', data: text, method },
      ]));
      const model = await extractModelArchive(mar, { destDir: path.join(work, 'models') });
      expect(path.dirname(model.modelDir)).toBe(path.join(work, 'models'));
      expect(path.basename(model.modelDir)).toMatch(/^[0-9a-f]{32}$/);
      await expectFile(path.join(model.modelDir, 'model.onnx'), weights);
      await expectFile(path.join(model.modelDir, 'sub/notes.txt'), text);
      expect(model.manifest).toEqual({ createdOn: '01/02/2024 10:11:12', runtime: 'python', model: { modelName: 'm', modelVersion: '2.0', handler: 'onnx' }, archiverVersion: '0.12.0' });
      expect(model.modelConfig).toEqual({});
      expect(model.stats).toMatchObject({ format: 'zip', entries: 4, bytes: weights.length + text.length + manifest().length });
      await model.cleanup();
      expect(await stat(model.modelDir).catch(() => 'gone')).toBe('gone');
    });
  }

  it('reads a .tar.gz, dropping the first path component as TorchServe does', async () => {
    const tgz = path.join(work, 'm.tar.gz');
    await writeFile(tgz, buildTgz([
      { name: 'm/', type: '5' },
      { name: 'm/MAR-INF/MANIFEST.json', data: manifest({ configFile: 'config.yaml' }) },
      { name: 'm/model.onnx', data: weights },
      { name: 'm/config.yaml', data: Buffer.from('batchSize: 4\nhandler:\n  steps: 30\n') },
    ]));
    const model = await extractModelArchive(tgz, { destDir: work });
    await expectFile(path.join(model.modelDir, 'model.onnx'), weights);
    expect(model.manifest.model.configFile).toBe('config.yaml');
    expect(model.modelConfig).toEqual({ batchSize: 4, handler: { steps: 30 } });
    expect(model.stats.format).toBe('tgz');
    await model.cleanup();
  });

  it('decides the format from the content, not the file name', async () => {
    const oddName = path.join(work, 'model.bin');
    await writeFile(oddName, buildZip([{ name: 'a.txt', data: text }]));
    const model = await extractModelArchive(oddName, { destDir: work });
    await expectFile(path.join(model.modelDir, 'a.txt'), text);
    await model.cleanup();
    await writeFile(oddName, 'not an archive');
    await expect(extractModelArchive(oddName, { destDir: work })).rejects.toThrow(/model\.bin is neither a zip/);
  });

  it('uses a no-archive directory in place, or its only sub-directory', async () => {
    const dir = path.join(work, 'store', 'noop');
    await mkdir(path.join(dir, 'inner', 'MAR-INF'), { recursive: true });
    await writeFile(path.join(dir, 'inner', 'MAR-INF', 'MANIFEST.json'), manifest());
    const model = await extractModelArchive(dir, { destDir: path.join(work, 'models') });
    expect(model.modelDir).toBe(path.join(dir, 'inner'));
    expect(model.manifest.model.modelName).toBe('m');
    expect(model.stats.format).toBe('directory');
    await model.cleanup();
    expect((await stat(path.join(dir, 'inner'))).isDirectory()).toBe(true);
    expect(await stat(path.join(work, 'models')).catch(() => 'absent')).toBe('absent');
  });

  it('gives an archive without MANIFEST TorchServe\'s empty manifest', async () => {
    const mar = path.join(work, 'no-manifest.mar');
    await writeFile(mar, buildZip([{ name: 'model.onnx', data: weights }]));
    const model = await extractModelArchive(mar, { destDir: work });
    expect(model.manifest).toEqual({ runtime: 'python', model: { modelName: '', modelVersion: '1.0' } });
    await model.cleanup();
  });

  it('rejects an invalid manifest and a bad model config, leaving nothing behind', async () => {
    const dest = path.join(work, 'models');
    const mar = path.join(work, 'bad.mar');
    await writeFile(mar, buildZip([{ name: 'MAR-INF/MANIFEST.json', data: Buffer.from('{"model": ') }]));
    const err = await extractModelArchive(mar, { destDir: dest }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidModelError);
    expect((err as Error).message).toMatch(/^Failed to parse signature\.json\. \(bad\.mar: MAR-INF\/MANIFEST\.json is not valid JSON/);
    expect(await readdir(dest)).toEqual([]);

    await writeFile(mar, buildZip([
      { name: 'MAR-INF/MANIFEST.json', data: manifest({ configFile: 'model-config.yaml' }) },
      { name: 'model-config.yaml', data: Buffer.from('batchSize: four\n') },
    ]));
    await expect(extractModelArchive(mar, { destDir: dest })).rejects.toThrow('Invalid model config bad.mar:model-config.yaml: key "batchSize" must be a non-negative integer, got "four"');
    expect(await readdir(dest)).toEqual([]);
  });

  it('reports a missing source as an ArchiveError', async () => {
    await expect(extractModelArchive(path.join(work, 'nope.mar'), { destDir: work })).rejects.toBeInstanceOf(ArchiveError);
  });
});

describe('extractModelArchive: nested model.zip / refiner.zip', () => {
  const unet = randomBytes(2_500_000);
  const vae = randomBytes(700_000);
  const refinerUnet = randomBytes(1_800_000);

  async function sdxlMar(): Promise<string> {
    const modelZip = buildZip([
      { name: 'unet/', method: 0 },
      { name: 'unet/model.onnx', data: unet, method: 0 },
      { name: 'vae_decoder/model.onnx', data: vae, method: 0 },
    ]);
    const refinerZip = buildZip([{ name: 'unet/model.onnx', data: refinerUnet, method: 0 }]);
    const mar = path.join(work, 'sdxl.mar');
    await writeFile(mar, buildZip([
      { name: 'MAR-INF/MANIFEST.json', data: manifest({ handler: 'stable_diffusion_xl' }) },
      { name: 'model.zip', data: modelZip },
      { name: 'refiner.zip', data: refinerZip },
    ]));
    return mar;
  }

  it('extracts both concurrently, each in its own worker thread, beside the zips', async () => {
    const lines: string[] = [];
    const model = await extractModelArchive(await sdxlMar(), { destDir: work, log: (l) => lines.push(l) });
    await expectFile(path.join(model.modelDir, 'model', 'unet', 'model.onnx'), unet);
    await expectFile(path.join(model.modelDir, 'model', 'vae_decoder', 'model.onnx'), vae);
    await expectFile(path.join(model.modelDir, 'refiner', 'unet', 'model.onnx'), refinerUnet);
    expect((await stat(path.join(model.modelDir, 'model.zip'))).isFile()).toBe(true);

    const nested = model.stats.nested;
    expect(nested.map((n) => n.name).sort()).toEqual(['model.zip', 'refiner.zip']);
    const threads = new Set(nested.map((n) => n.threadId));
    expect(threads.size).toBe(2);
    expect(threads.has(-1)).toBe(false);
    expect(nested.find((n) => n.name === 'model.zip')).toMatchObject({ entries: 3, bytes: unet.length + vae.length, dir: path.join(model.modelDir, 'model') });

    // Both workers were started before either finished.
    const firstDone = lines.findIndex((l) => l.startsWith('Extracted sdxl.mar/'));
    const starts = lines.map((l, i) => (l.startsWith('Extracting sdxl.mar/') ? i : -1)).filter((i) => i >= 0);
    expect(starts).toHaveLength(2);
    expect(Math.max(...starts)).toBeLessThan(firstDone);
    for (const t of threads) expect(lines.some((l) => l.includes(`worker thread ${t}`))).toBe(true);
    expect(lines.some((l) => /^sdxl\.mar\/model\.zip: .* \/ .* \(\d+%\)$/.test(l))).toBe(true);
    expect(await readdir(model.modelDir)).not.toContainEqual(expect.stringContaining('.partial-'));
    await model.cleanup();
  });

  it('extracts nested zips of a directory source without writing into the source', async () => {
    const src = path.join(work, 'src');
    const mar = await sdxlMar();
    await mkdir(src);
    execFileSync('unzip', ['-q', mar, '-d', src]);
    const before = (await readdir(src)).sort();
    const model = await extractModelArchive(src, { destDir: path.join(work, 'models') });
    expect(model.modelDir).not.toBe(src);
    await expectFile(path.join(model.modelDir, 'refiner', 'unet', 'model.onnx'), refinerUnet);
    expect(model.manifest.model.handler).toBe('stable_diffusion_xl');
    expect((await readdir(src)).sort()).toEqual(before);
    await model.cleanup();
    expect((await readdir(src)).sort()).toEqual(before);
  });

  it('extracts only the zips named by `nested`, and none with []', async () => {
    const none = await extractModelArchive(await sdxlMar(), { destDir: work, nested: [] });
    expect(none.stats.nested).toEqual([]);
    expect(await stat(path.join(none.modelDir, 'model')).catch(() => 'absent')).toBe('absent');
    await none.cleanup();
    const one = await extractModelArchive(await sdxlMar(), { destDir: work, nested: ['refiner.zip', 'vae.zip'] });
    expect(one.stats.nested.map((n) => n.name)).toEqual(['refiner.zip']);
    await one.cleanup();
  });

  it('fails the whole model when one nested zip is unsafe, and removes it', async () => {
    const mar = path.join(work, 'evil.mar');
    await writeFile(mar, buildZip([
      { name: 'model.zip', data: buildZip([{ name: 'ok.bin', data: unet, method: 0 }]) },
      { name: 'refiner.zip', data: buildZip([{ name: '../../escape.txt', data: Buffer.from('x') }]) },
    ]));
    const dest = path.join(work, 'models');
    await expect(extractModelArchive(mar, { destDir: dest })).rejects.toThrow('Unsafe entry "../../escape.txt" in evil.mar/refiner.zip: path traversal ("..")');
    expect(await readdir(dest)).toEqual([]);
    expect(await stat(path.join(work, 'escape.txt')).catch(() => 'absent')).toBe('absent');
  });

  it('counts nested zips against the model\'s total size limit before writing them', async () => {
    const mar = await sdxlMar();
    // The outer archive expands to ~5 MB (the two zips), the nested zips to another ~5 MB.
    const err = await extractModelArchive(mar, { destDir: path.join(work, 'models'), limits: { maxTotalBytes: 7_000_000 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as Error).message).toMatch(/sdxl\.mar\/(model|refiner)\.zip expands to more than|exceeds what is left/);
  });
});
