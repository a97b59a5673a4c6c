/**
 * `npm run examples` end to end: the compiled CLI (dist/, built by `npm test`) builds both
 * archives through bin/nserve-archiver.js, skips them when up to date, and the archives hold
 * what the server's handlers need.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'tools', 'examples', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'nserve-examples-'));
const store = join(tmp, 'store');
const work = join(tmp, 'work');
let firstRun = '';

function runCli(...extra: string[]): string {
  return execFileSync(process.execPath, [cli, '--store', store, '--work-dir', work, ...extra], { cwd: root, encoding: 'utf8' });
}

async function readZip(file: string): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((res, rej) => yauzl.open(file, { lazyEntries: true }, (e, z) => (e ? rej(e) : res(z))));
  const entries = new Map<string, Buffer>();
  await new Promise<void>((res, rej) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err) return rej(err);
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          entries.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      });
    });
    zip.on('end', () => res());
    zip.on('error', rej);
    zip.readEntry();
  });
  return entries;
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first`);
  firstRun = runCli();
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm run examples', () => {
  it('builds tiny_onnx.mar with the onnx handler, its model and model-config', async () => {
    expect(firstRun).toMatch(/tiny_onnx: built/);
    const mar = await readZip(join(store, 'tiny_onnx.mar'));
    expect([...mar.keys()].sort()).toEqual(['MAR-INF/MANIFEST.json', 'model-config.yaml', 'model.onnx']);
    const manifest = JSON.parse(mar.get('MAR-INF/MANIFEST.json')!.toString()) as { model: Record<string, string> };
    expect(manifest.model).toMatchObject({ modelName: 'tiny_onnx', modelVersion: '1.0', handler: 'onnx', serializedFile: 'model.onnx', configFile: 'model-config.yaml' });
    expect(mar.get('model-config.yaml')!.toString()).toMatch(/batchSize: 4/);
    const session = await ort.InferenceSession.create(new Uint8Array(mar.get('model.onnx')!));
    const out = await session.run({ input: new ort.Tensor('float32', new Float32Array([1, 2, 3, 4]), [1, 4]) });
    expect(out.output!.dims).toEqual([1, 3]);
    await session.release();
  });

  it('builds sdxl_tiny.mar: stable_diffusion_xl handler, model.zip (base) and refiner.zip', async () => {
    const mar = await readZip(join(store, 'sdxl_tiny.mar'));
    expect([...mar.keys()].sort()).toEqual(['MAR-INF/MANIFEST.json', 'model-config.yaml', 'model.zip', 'refiner.zip']);
    const manifest = JSON.parse(mar.get('MAR-INF/MANIFEST.json')!.toString()) as { model: Record<string, string> };
    expect(manifest.model).toMatchObject({ modelName: 'sdxl_tiny', handler: 'stable_diffusion_xl', configFile: 'model-config.yaml' });

    const baseZip = join(work, 'sdxl_tiny', 'model.zip');
    const base = await readZip(baseZip);
    for (const f of ['model_index.json', 'scheduler/scheduler_config.json', 'tokenizer/vocab.json', 'tokenizer_2/merges.txt', 'text_encoder/model.onnx', 'text_encoder_2/model.onnx', 'unet/model.onnx', 'unet/model.onnx_data', 'unet/config.json', 'vae_decoder/model.onnx', 'vae_decoder/config.json'])
      expect(base.has(f), f).toBe(true);
    expect(mar.get('model.zip')!.equals(readFileSync(baseZip))).toBe(true);
    const refiner = await readZip(join(work, 'sdxl_tiny', 'refiner.zip'));
    expect(JSON.parse(refiner.get('model_index.json')!.toString())).toMatchObject({ _class_name: 'StableDiffusionXLImg2ImgPipeline' });
    expect(refiner.has('text_encoder/model.onnx')).toBe(false);
    expect(refiner.has('unet/model.onnx_data')).toBe(true);
  });

  it('skips up-to-date archives and rebuilds them with --force', () => {
    const before = statSync(join(store, 'sdxl_tiny.mar')).mtimeMs;
    const again = runCli();
    expect(again).toMatch(/tiny_onnx: up to date/);
    expect(again).toMatch(/sdxl_tiny: up to date/);
    expect(statSync(join(store, 'sdxl_tiny.mar')).mtimeMs).toBe(before);
    const forced = runCli('--force', '--only', 'tiny_onnx');
    expect(forced).toMatch(/tiny_onnx: built/);
    expect(forced).not.toMatch(/sdxl_tiny/);
  });
});
