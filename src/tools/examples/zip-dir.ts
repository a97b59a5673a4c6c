/** Zips a directory's contents (paths relative to it, sorted, fixed mtime) with yazl. */
import { createWriteStream, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';

const FIXED_MTIME = new Date('2024-01-01T00:00:00Z');
/** Random weights do not compress: store them, deflate the rest. */
const STORED = /\.(onnx|onnx_data|bin|pb|safetensors)$/;

export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** Writes `outFile`, a zip of everything under `dir` (entries relative to `dir`). */
export async function zipDirectory(dir: string, outFile: string): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const file of listFiles(dir)) {
    const name = relative(dir, file).split(sep).join('/');
    zip.addFile(file, name, { mtime: FIXED_MTIME, compress: !STORED.test(name) });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(outFile));
}
