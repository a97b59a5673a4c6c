/**
 * Extraction benchmark: nserve's `extractModelArchive` against Info-ZIP `unzip -q` on the same
 * SDXL-shaped archive, in the same run.
 *
 *   npm run build && npm run bench:extract -- [--size-gb 2] [--outer deflate|store] [--rounds 1] [--dir /tmp]
 *
 * It generates `<dir>/nserve-bench-extract/sdxl.mar` (the outer archive, deflate by default as
 * torch-model-archiver's default format; `--outer store` for zip-store) holding `model.zip` and
 * `refiner.zip` (each about half of --size-gb, stored, of incompressible data, as optimum/TorchServe
 * users package UNet/VAE/text-encoder ONNX files), then times:
 * - nserve: `extractModelArchive` in a fresh child process (outer, then both nested zips
 *   concurrently in worker threads); peak RSS sampled every 20 ms plus `resourceUsage().maxRSS`;
 * - unzip: `unzip -q` of the outer archive, then of model.zip, then of refiner.zip, one after
 *   the other as a user would; max RSS from /usr/bin/time when present.
 * Page cache is flushed (`sync`) before each timed run. Everything is deleted at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { extractModelArchive } from '../../src/archive/index.js';
import { planArchive } from '../../src/archiver/collect.js';
import { writeArchive } from '../../src/archiver/write-archive.js';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Incompressible-ish bytes without paying for 2 GB of crypto: a random 8 MiB block, re-salted per chunk. */
function noise(size: number): Readable {
  const block = randomBytes(8 * MiB);
  let left = size;
  let n = 0;
  return new Readable({
    highWaterMark: 4 * MiB,
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const len = Math.min(left, 4 * MiB);
      const offset = (n * 4099) % (4 * MiB);
      const chunk = Buffer.from(block.subarray(offset, offset + len));
      chunk.writeUInt32LE(n++, 0);
      left -= len;
      this.push(chunk);
    },
  });
}

async function storedZip(file: string, entries: [string, number][]): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const [name, size] of entries) zip.addReadStreamLazy(name, { size, compress: false }, (cb) => cb(null, noise(size)));
  zip.addBuffer(Buffer.from('{"_class_name": "UNet2DConditionModel"}'), 'unet/config.json', { compress: false });
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

async function dirBytes(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    files += 1;
    bytes += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return { files, bytes };
}

/** Child mode: extract once and print JSON. */
async function child(mar: string, dest: string): Promise<void> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const baseline = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const model = await extractModelArchive(mar, { destDir: dest, log: (line) => process.stderr.write(`  ${line}\n`) });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(
    JSON.stringify({
      ms,
      cpuS: (cpu.user + cpu.system) / 1e6,
      modelDir: model.modelDir,
      baselineRssMiB: baseline / MiB,
      peakRssMiB: peak / MiB,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
      nested: model.stats.nested.map((n) => ({ name: n.name, ms: Math.round(n.ms), threadId: n.threadId, bytes: n.bytes })),
    }),
  );
}

function timeUnzip(mar: string, dest: string): { ms: number; cpuS?: number; maxRssMiB?: number } {
  const steps: [string, string][] = [
    [mar, dest],
    [path.join(dest, 'model.zip'), path.join(dest, 'model')],
    [path.join(dest, 'refiner.zip'), path.join(dest, 'refiner')],
  ];
  const hasTime = existsSync('/usr/bin/time');
  let maxRss = 0;
  let cpuS = 0;
  const t0 = performance.now();
  for (const [zip, to] of steps) {
    const result = hasTime
      ? spawnSync('/usr/bin/time', ['-f', '%U %S %M', 'unzip', '-q', zip, '-d', to], { encoding: 'utf8' })
      : spawnSync('unzip', ['-q', zip, '-d', to], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`unzip ${zip} failed: ${result.stderr}`);
    if (hasTime) {
      const [user, sys, rss] = (result.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
      cpuS += (user ?? 0) + (sys ?? 0);
      maxRss = Math.max(maxRss, (rss ?? 0) / 1024);
    }
  }
  const ms = performance.now() - t0;
  return hasTime ? { ms, cpuS, maxRssMiB: maxRss } : { ms };
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3]!, process.argv[4]!);
    return;
  }
  const sizeGb = Number(arg('size-gb', '2'));
  const outer = arg('outer', 'deflate');
  const rounds = Number(arg('rounds', '1'));
  const root = path.join(arg('dir', tmpdir()), 'nserve-bench-extract');
  if (!(sizeGb > 0) || !['deflate', 'store'].includes(outer) || !(rounds >= 1)) throw new Error('usage: run.ts [--size-gb N] [--outer deflate|store] [--rounds N] [--dir DIR]');
  await rm(root, { recursive: true, force: true });
  const gen = path.join(root, 'gen');
  await mkdir(gen, { recursive: true });
  try {
    const half = Math.floor((sizeGb * GiB) / 2);
    console.log(`generating ${sizeGb} GB SDXL-shaped archive in ${root} (outer ${outer}, nested stored)...`);
    let t = performance.now();
    await storedZip(path.join(gen, 'model.zip'), [
      ['unet/model.onnx', Math.floor(half * 0.8)],
      ['vae_decoder/model.onnx', Math.floor(half * 0.05)],
      ['text_encoder/model.onnx', Math.floor(half * 0.05)],
      ['text_encoder_2/model.onnx', half - Math.floor(half * 0.8) - 2 * Math.floor(half * 0.05)],
    ]);
    await storedZip(path.join(gen, 'refiner.zip'), [
      ['unet/model.onnx', Math.floor(half * 0.9)],
      ['vae_decoder/model.onnx', half - Math.floor(half * 0.9)],
    ]);
    const plan = await planArchive(
      {
        modelName: 'sdxl', version: '1.0', handler: 'stable_diffusion_xl', serializedFile: 'model.zip', extraFiles: ['refiner.zip'],
        runtime: 'python', archiveFormat: outer === 'store' ? 'zip-store' : 'default', exportPath: root, force: true,
      },
      gen,
      'bench',
    );
    const mar = path.join(root, 'sdxl.mar');
    await writeArchive(plan, mar, outer === 'store' ? 'zip-store' : 'default', () => undefined);
    await rm(gen, { recursive: true, force: true });
    const marSize = (await stat(mar)).size;
    console.log(`generated ${(marSize / GiB).toFixed(2)} GiB .mar in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const self = fileURLToPath(import.meta.url);
    const results: { round: number; nserveMs: number; unzipMs: number; nserveCpuS: number; unzipCpuS?: number; nservePeakRssMiB: number; nserveMaxRssMiB: number; unzipMaxRssMiB?: number }[] = [];
    for (let round = 1; round <= rounds; round++) {
      const uDest = path.join(root, `unzip-${round}`);
      const nDest = path.join(root, `nserve-${round}`);
      execFileSync('sync');
      const u = timeUnzip(mar, uDest);
      console.log(`round ${round}: unzip -q (outer, model.zip, refiner.zip): ${(u.ms / 1000).toFixed(2)} s${u.maxRssMiB === undefined ? '' : `, CPU ${u.cpuS?.toFixed(2)} s, max RSS ${u.maxRssMiB.toFixed(1)} MiB`}`);
      const uFiles = await dirBytes(uDest);
      await rm(uDest, { recursive: true, force: true });
      execFileSync('sync');
      t = performance.now();
      const out = execFileSync(process.execPath, [...process.execArgv, self, '--child', mar, nDest], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * MiB });
      const n = JSON.parse(out) as { ms: number; cpuS: number; modelDir: string; baselineRssMiB: number; peakRssMiB: number; maxRssMiB: number; nested: unknown[] };
      const nFiles = await dirBytes(n.modelDir);
      console.log(
        `round ${round}: nserve extractModelArchive: ${(n.ms / 1000).toFixed(2)} s, CPU ${n.cpuS.toFixed(2)} s, RSS baseline ${n.baselineRssMiB.toFixed(0)} MiB, ` +
          `peak ${n.peakRssMiB.toFixed(0)} MiB, maxRSS ${n.maxRssMiB.toFixed(0)} MiB, nested ${JSON.stringify(n.nested)}`,
      );
      if (nFiles.files !== uFiles.files || nFiles.bytes !== uFiles.bytes) {
        throw new Error(`outputs differ: nserve ${JSON.stringify(nFiles)} vs unzip ${JSON.stringify(uFiles)}`);
      }
      await rm(nDest, { recursive: true, force: true });
      results.push({ round, nserveMs: n.ms, unzipMs: u.ms, nserveCpuS: n.cpuS, unzipCpuS: u.cpuS, nservePeakRssMiB: n.peakRssMiB, nserveMaxRssMiB: n.maxRssMiB, unzipMaxRssMiB: u.maxRssMiB });
    }
    const best = (k: 'nserveMs' | 'unzipMs'): number => Math.min(...results.map((r) => r[k]));
    const summary = {
      sizeGiB: +(marSize / GiB).toFixed(2),
      outer,
      rounds,
      nserveBestS: +(best('nserveMs') / 1000).toFixed(2),
      unzipBestS: +(best('unzipMs') / 1000).toFixed(2),
      ratioNserveToUnzip: +(best('nserveMs') / best('unzipMs')).toFixed(2),
      nserveCpuS: +Math.min(...results.map((r) => r.nserveCpuS)).toFixed(2),
      unzipCpuS: results[0]?.unzipCpuS === undefined ? undefined : +Math.min(...results.map((r) => r.unzipCpuS ?? Infinity)).toFixed(2),
      nservePeakRssMiB: Math.round(Math.max(...results.map((r) => r.nservePeakRssMiB))),
      nserveMaxRssMiB: Math.round(Math.max(...results.map((r) => r.nserveMaxRssMiB))),
      unzipMaxRssMiB: results[0]?.unzipMaxRssMiB === undefined ? undefined : +Math.max(...results.map((r) => r.unzipMaxRssMiB ?? 0)).toFixed(1),
      throughputNserveMiBs: Math.round((2 * marSize) / MiB / (best('nserveMs') / 1000)),
    };
    console.log(JSON.stringify(summary, null, 2));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
