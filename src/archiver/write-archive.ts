/**
 * Writes an `ArchivePlan` in one of torch-model-archiver's formats. Everything streams (files
 * are never read whole); the output is written to `<target>.partial-<random>` and renamed into
 * place once complete, so an interrupted run never leaves a truncated archive behind.
 * zip: yazl (deflate or stored; zip64 headers whenever an entry or offset passes 4 GiB).
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { create as createTar } from 'tar';
import yazl from 'yazl';
import { MANIFEST_PATH, manifestJson } from '../archive/index.js';
import type { ArchiveFormat } from './args.js';
import type { ArchivePlan } from './collect.js';

export type OnProgress = (bytesDone: number, bytesTotal: number) => void;

export function outputPath(exportPath: string, modelName: string, format: ArchiveFormat): string {
  if (format === 'no-archive') return path.join(exportPath, modelName);
  if (format === 'tgz') return path.join(exportPath, `${modelName}.tar.gz`);
  return path.join(exportPath, `${modelName}.mar`);
}

const partialName = (target: string): string => `${target}.partial-${randomBytes(6).toString('hex')}`;

export async function writeArchive(plan: ArchivePlan, target: string, format: ArchiveFormat, onProgress: OnProgress): Promise<void> {
  const partial = partialName(target);
  try {
    if (format === 'no-archive') await writeDirectory(plan, partial, onProgress);
    else if (format === 'tgz') await writeTgz(plan, partial, path.basename(target, '.tar.gz'), onProgress);
    else await writeZip(plan, partial, format === 'default', onProgress);
    await rm(target, { recursive: true, force: true });
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}

async function writeZip(plan: ArchivePlan, file: string, compress: boolean, onProgress: OnProgress): Promise<void> {
  const zip = new yazl.ZipFile();
  let done = 0;
  const failed = new Promise<never>((_, reject) => zip.on('error', reject));
  for (const entry of plan.files) {
    zip.addReadStreamLazy(entry.name, { size: entry.size, compress }, (callback) => {
      const stream = createReadStream(entry.source, { highWaterMark: 1024 * 1024 });
      stream.on('data', (chunk) => {
        done += chunk.length;
        onProgress(done, plan.totalBytes);
      });
      callback(null, stream);
    });
  }
  zip.addBuffer(Buffer.from(manifestJson(plan.manifest)), MANIFEST_PATH, { compress });
  zip.end();
  await Promise.race([pipeline(zip.outputStream, createWriteStream(file, { flags: 'wx' })), failed]);
}

/** Staging folder of links named as in the archive; tar follows them (`<name>/` prefix, as torch-model-archiver). */
async function writeTgz(plan: ArchivePlan, file: string, modelName: string, onProgress: OnProgress): Promise<void> {
  const staging = await mkdtemp(`${file}.staging-`);
  try {
    const root = path.join(staging, modelName);
    await mkdir(path.join(root, 'MAR-INF'), { recursive: true });
    for (const entry of plan.files) {
      const at = path.join(root, ...entry.name.split('/'));
      await mkdir(path.dirname(at), { recursive: true });
      await symlink(entry.source, at);
    }
    await writeFile(path.join(root, MANIFEST_PATH), manifestJson(plan.manifest));
    let done = 0;
    const tarStream = createTar({ gzip: true, cwd: staging, follow: true, portable: true }, [modelName]);
    tarStream.on('data', (chunk: Buffer) => {
      done += chunk.length;
      onProgress(done, plan.totalBytes);
    });
    await pipeline(tarStream as unknown as NodeJS.ReadableStream, createWriteStream(file, { flags: 'wx' }));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function writeDirectory(plan: ArchivePlan, dir: string, onProgress: OnProgress): Promise<void> {
  await mkdir(path.join(dir, 'MAR-INF'), { recursive: true });
  let done = 0;
  for (const entry of plan.files) {
    const at = path.join(dir, ...entry.name.split('/'));
    await mkdir(path.dirname(at), { recursive: true });
    await copyFile(entry.source, at);
    done += entry.size;
    onProgress(done, plan.totalBytes);
  }
  await writeFile(path.join(dir, MANIFEST_PATH), manifestJson(plan.manifest));
}
