/**
 * nserve-archiver end to end: archives it writes load back byte for byte through
 * extractModelArchive, pass `unzip -t` (Info-ZIP; `apt-get install unzip` on CI images without
 * it) and carry TorchServe's manifest shape. The CLI itself runs as a child process.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractModelArchive } from '../../../src/archive/index.js';
import { main } from '../../../src/archiver/cli.js';

const run = promisify(execFile);
const BIN = path.resolve('bin/nserve-archiver.js');

let work: string;
let src: string;
let out: string;
const weights = randomBytes(400_000);
const handlerJs = Buffer.from('export class Sdxl { async initialize() {} async handle(r) { return r.map(() => "ok"); } }\n');

beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'nserve-archiver-'));
  src = path.join(work, 'src');
  out = path.join(work, 'out');
  await mkdir(path.join(src, 'tokenizer', 'nested'), { recursive: true });
  await mkdir(path.join(src, 'tokenizer', '__pycache__'), { recursive: true });
  await mkdir(path.join(src, 'tokenizer', '.cache'), { recursive: true });
  await mkdir(out);
  await writeFile(path.join(src, 'model.onnx'), weights);
  await writeFile(path.join(src, 'my_handler.js'), handlerJs);
  await writeFile(path.join(src, 'tokenizer', 'vocab.json'), '{"a":1}');
  await writeFile(path.join(src, 'tokenizer', 'nested', 'merges.txt'), 'a b\n');
  await writeFile(path.join(src, 'tokenizer', '__pycache__', 'x.pyc'), 'junk');
  await writeFile(path.join(src, 'tokenizer', '.cache', 'x'), 'junk');
  await writeFile(path.join(src, 'model-config.yaml'), 'batchSize: 2\nhandler:\n  steps: 4\n');
  await writeFile(path.join(src, 'requirements.txt'), 'numpy\n');
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function capture(): { io: Parameters<typeof main>[1]; stderr: string[]; stdout: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, io: { cwd: src, stdout: { write: (t: string) => stdout.push(t) }, stderr: { write: (t: string) => stderr.push(t) } } };
}

const flags = (format: string): string[] => [
  '--model-name', 'sdxl', '-v', '1.1', '--serialized-file', 'model.onnx', '--handler', 'my_handler.js:Sdxl',
  '--extra-files', 'tokenizer,requirements.txt', '-r', 'requirements.txt', '-c', 'model-config.yaml',
  '--archive-format', format, '--export-path', out,
];

const expectedFiles = ['MAR-INF/MANIFEST.json', 'model-config.yaml', 'model.onnx', 'my_handler.js', 'nested/merges.txt', 'requirements.txt', 'vocab.json'];

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) names.push(...(await listFiles(path.join(dir, entry.name), `${prefix}${entry.name}/`)));
    else names.push(`${prefix}${entry.name}`);
  }
  return names.sort();
}

describe('nserve-archiver round trip', () => {
  for (const [format, file] of [['default', 'sdxl.mar'], ['zip-store', 'sdxl.mar'], ['tgz', 'sdxl.tar.gz'], ['no-archive', 'sdxl']] as const) {
    it(`--archive-format ${format} -> ${file} loads back with the same bytes and manifest`, async () => {
      const { io, stderr } = capture();
      expect(await main(flags(format), io)).toBe(0);
      expect(stderr).toEqual([]);
      const model = await extractModelArchive(path.join(out, file), { destDir: path.join(work, 'models') });
      expect(await listFiles(model.modelDir)).toEqual(expectedFiles);
      expect((await readFile(path.join(model.modelDir, 'model.onnx'))).equals(weights)).toBe(true);
      expect((await readFile(path.join(model.modelDir, 'my_handler.js'))).equals(handlerJs)).toBe(true);
      expect(await readFile(path.join(model.modelDir, 'nested/merges.txt'), 'utf8')).toBe('a b\n');
      expect(model.manifest).toEqual({
        createdOn: expect.stringMatching(/^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/),
        runtime: 'python',
        model: { modelName: 'sdxl', serializedFile: 'model.onnx', handler: 'my_handler.js:Sdxl', modelVersion: '1.1', requirementsFile: 'requirements.txt', configFile: 'model-config.yaml' },
        archiverVersion: expect.any(String),
      });
      expect(model.modelConfig).toEqual({ batchSize: 2, handler: { steps: 4 } });
      await model.cleanup();
    });
  }

  it('writes a .mar that Info-ZIP lists and tests, with TorchServe\'s manifest text', async () => {
    const { io } = capture();
    expect(await main(flags('default'), io)).toBe(0);
    const mar = path.join(out, 'sdxl.mar');
    const listing = execFileSync('unzip', ['-l', mar], { encoding: 'utf8' });
    for (const name of expectedFiles) expect(listing).toContain(name);
    expect(listing).toContain(`${weights.length}`);
    expect(execFileSync('unzip', ['-tq', mar], { encoding: 'utf8' })).toMatch(/No errors detected/);
    const verbose = execFileSync('unzip', ['-v', mar], { encoding: 'utf8' });
    expect(verbose).toMatch(/Defl:N/);
    const manifestText = execFileSync('unzip', ['-p', mar, 'MAR-INF/MANIFEST.json'], { encoding: 'utf8' });
    const manifest = JSON.parse(manifestText) as Record<string, unknown>;
    expect(Object.keys(manifest)).toEqual(['createdOn', 'runtime', 'model', 'archiverVersion']);
    expect(Object.keys(manifest.model as object)).toEqual(['modelName', 'serializedFile', 'handler', 'modelVersion', 'requirementsFile', 'configFile']);
    expect(manifestText).toBe(JSON.stringify(manifest, null, 2));

    expect(await main([...flags('zip-store'), '-f'], capture().io)).toBe(0);
    expect(execFileSync('unzip', ['-v', mar], { encoding: 'utf8' })).not.toMatch(/Defl:N/);
  });

  it('records built-in handler names as they are and copies nothing for them', async () => {
    const { io } = capture();
    expect(await main(['--model-name', 'plain', '-v', '1', '--handler', 'onnx', '--serialized-file', 'model.onnx', '--export-path', out], io)).toBe(0);
    const listing = execFileSync('unzip', ['-Z1', path.join(out, 'plain.mar')], { encoding: 'utf8' }).trim().split('\n').sort();
    expect(listing).toEqual(['MAR-INF/MANIFEST.json', 'model.onnx']);
    const manifest = JSON.parse(execFileSync('unzip', ['-p', path.join(out, 'plain.mar'), 'MAR-INF/MANIFEST.json'], { encoding: 'utf8' })) as { model: { handler: string } };
    expect(manifest.model.handler).toBe('onnx');
  });

  it('refuses to overwrite without --force, and overwrites with it', async () => {
    expect(await main(flags('default'), capture().io)).toBe(0);
    const again = capture();
    expect(await main(flags('default'), again.io)).toBe(1);
    expect(again.stderr.join('')).toBe(`nserve-archiver: error: ${path.join(out, 'sdxl.mar')} already exists. Please specify --force/-f option to overwrite the model archive output file. See -h/--help for more details.\n`);
    const before = (await stat(path.join(out, 'sdxl.mar'))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    expect(await main([...flags('default'), '--force'], capture().io)).toBe(0);
    expect((await stat(path.join(out, 'sdxl.mar'))).mtimeMs).toBeGreaterThan(before);
    expect(await readdir(out)).toEqual(['sdxl.mar']);
  });
});

describe('nserve-archiver command line (child process)', () => {
  const cases: [string, string[], RegExp][] = [
    ['missing required flags', ['--model-name', 'x'], /^nserve-archiver: error: the following arguments are required: --handler, -v\/--version$/],
    ['an unknown flag', ['--model-name', 'x', '-v', '1', '--handler', 'onnx', '--convert'], /^nserve-archiver: error: unrecognized arguments: --convert$/],
    ['a missing serialized file', ['--model-name', 'x', '-v', '1', '--handler', 'onnx', '--serialized-file', 'nope.onnx'], /^nserve-archiver: error: argument --serialized-file: file not found: nope\.onnx$/],
    ['a missing handler file', ['--model-name', 'x', '-v', '1', '--handler', 'nope.js:Foo'], /^nserve-archiver: error: argument --handler: file not found: nope\.js$/],
    ['a missing extra file', ['--model-name', 'x', '-v', '1', '--handler', 'onnx', '--extra-files', 'a.txt,missing.txt'], /^nserve-archiver: error: argument --extra-files: file not found: a\.txt$/],
    ['a bad export path', ['--model-name', 'x', '-v', '1', '--handler', 'onnx', '--export-path', 'nowhere'], /^nserve-archiver: error: argument --export-path: nowhere is not a directory/],
  ];
  for (const [what, argv, pattern] of cases) {
    it(`exits 2 with one line for ${what}`, async () => {
      const err = (await run('node', [BIN, ...argv], { cwd: src }).catch((e: unknown) => e)) as { code: number; stderr: string; stdout: string };
      expect(err.code).toBe(2);
      expect(err.stdout).toBe('');
      const lines = err.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    });
  }

  it('prints help on -h and exits 0', async () => {
    const { stdout, stderr } = await run('node', [BIN, '-h'], { cwd: src });
    expect(stderr).toBe('');
    expect(stdout).toMatch(/^usage: nserve-archiver \[-h\] --model-name MODEL_NAME/);
    for (const flag of ['--serialized-file', '--model-file', '--handler', '--extra-files', '--requirements-file', '--config-file', '--runtime', '--archive-format', '--export-path', '--force', '--version']) {
      expect(stdout).toContain(flag);
    }
  });

  it('is executable', async () => {
    expect((await stat(BIN)).mode & 0o111).not.toBe(0);
  });
});
