/**
 * Builds the example archives into a model store without downloading anything:
 * - `tiny_onnx.mar`: a tiny Gemm model served by the built-in `onnx` handler;
 * - `sdxl_tiny.mar`: a synthetic SDXL base (`model.zip`) + refiner (`refiner.zip`) served by the
 *   built-in `stable_diffusion_xl` handler.
 * Archives go through the project's archiver CLI. A build is skipped when its archive exists
 * and its fingerprint (builder code + model-config) is unchanged, unless `force` is set.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSdxlPipeline } from '../sdxl/build-pipeline.js';
import { PACKAGE_ROOT, runArchiver } from './archiver.js';
import { buildTinyOnnxModel } from './tiny-models.js';
import { listFiles, zipDirectory } from './zip-dir.js';

export const EXAMPLES = ['tiny_onnx', 'sdxl_tiny'] as const;
export type ExampleName = (typeof EXAMPLES)[number];

export interface BuildExamplesOptions {
  /** Where the `.mar` files go (e.g. `model-store`). */
  storeDir: string;
  /** Scratch directory for models and zips (default `<package>/build/examples`). */
  workDir?: string;
  /** Where the example model-config files live (default `<package>/examples`). */
  examplesDir?: string;
  force?: boolean;
  only?: readonly ExampleName[];
  log?: (line: string) => void;
}

export interface ExampleResult {
  name: ExampleName;
  marPath: string;
  skipped: boolean;
  ms: number;
}

interface Stamp {
  fingerprint: string;
  marSize: number;
}

const TOOLS_DIR = fileURLToPath(new URL('../', import.meta.url));

export async function buildExamples(options: BuildExamplesOptions): Promise<ExampleResult[]> {
  const storeDir = resolve(options.storeDir);
  const workDir = resolve(options.workDir ?? join(PACKAGE_ROOT, 'build', 'examples'));
  const examplesDir = resolve(options.examplesDir ?? join(PACKAGE_ROOT, 'examples'));
  const log = options.log ?? ((): void => undefined);
  mkdirSync(storeDir, { recursive: true });
  const results: ExampleResult[] = [];
  for (const name of options.only ?? EXAMPLES) {
    const started = performance.now();
    const marPath = join(storeDir, `${name}.mar`);
    const configFile = join(examplesDir, name, 'model-config.yaml');
    const fingerprint = fingerprintOf(name, configFile);
    const stampPath = join(workDir, `${name}.stamp.json`);
    if (!options.force && upToDate(marPath, stampPath, fingerprint)) {
      log(`${name}: up to date (${marPath})`);
      results.push({ name, marPath, skipped: true, ms: performance.now() - started });
      continue;
    }
    const dir = join(workDir, name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    if (name === 'tiny_onnx') buildTinyOnnxArchive(dir, storeDir, configFile);
    else await buildSdxlTinyArchive(dir, storeDir, configFile, log);
    const stamp: Stamp = { fingerprint, marSize: statSync(marPath).size };
    writeFileSync(stampPath, JSON.stringify(stamp));
    const ms = performance.now() - started;
    log(`${name}: built ${marPath} (${(stamp.marSize / 1024 / 1024).toFixed(1)} MiB) in ${(ms / 1000).toFixed(1)} s`);
    results.push({ name, marPath, skipped: false, ms });
  }
  return results;
}

function buildTinyOnnxArchive(dir: string, storeDir: string, configFile: string): void {
  const model = buildTinyOnnxModel(dir);
  runArchiver({
    modelName: 'tiny_onnx',
    version: '1.0',
    serializedFile: model,
    handler: 'onnx',
    configFile,
    exportPath: storeDir,
    force: true,
  });
}

async function buildSdxlTinyArchive(dir: string, storeDir: string, configFile: string, log: (l: string) => void): Promise<void> {
  const base = buildSdxlPipeline(join(dir, 'base'), { scale: 'tiny', log });
  const refiner = buildSdxlPipeline(join(dir, 'refiner'), { scale: 'tiny', refiner: true, log });
  const modelZip = join(dir, 'model.zip');
  const refinerZip = join(dir, 'refiner.zip');
  await zipDirectory(base.dir, modelZip);
  await zipDirectory(refiner.dir, refinerZip);
  runArchiver({
    modelName: 'sdxl_tiny',
    version: '1.0',
    handler: 'stable_diffusion_xl',
    extraFiles: [modelZip, refinerZip],
    configFile,
    exportPath: storeDir,
    force: true,
  });
}

/** Hash of the builder code (every compiled tools file) and the example's model-config. */
function fingerprintOf(name: string, configFile: string): string {
  const h = createHash('sha256').update(name);
  for (const file of listFiles(TOOLS_DIR).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts'))) h.update(file).update(readFileSync(file));
  h.update(readFileSync(configFile));
  return h.digest('hex');
}

function upToDate(marPath: string, stampPath: string, fingerprint: string): boolean {
  if (!existsSync(marPath) || !existsSync(stampPath)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8')) as Stamp;
    return stamp.fingerprint === fingerprint && stamp.marSize === statSync(marPath).size;
  } catch {
    return false;
  }
}
