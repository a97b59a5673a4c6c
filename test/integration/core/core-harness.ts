/**
 * A serving core over a temporary model store whose models are plain directories holding
 * `MAR-INF/MANIFEST.json` and a copy of a fixture handler from test/fixtures/handlers, extracted
 * with the real `extractModelArchive` (directories are used in place).
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractModelArchive } from '../../../src/archive/index.js';
import { createServingCore, type ServingCore, type ServingCoreOptions } from '../../../src/core/index.js';
import { noopMetrics } from '../../../src/metrics/metrics-api.js';
import { handlerFixtures } from './pool-harness.js';

export interface CoreHarness {
  core: ServingCore;
  store: string;
  logs: string[];
  /** A model directory in the store; `files` are written into it (e.g. an ONNX model). */
  addModel(dir: string, spec: { name?: string; version?: string; handler: string; config?: string; serializedFile?: string; files?: Record<string, Uint8Array> }): Promise<void>;
  close(): Promise<void>;
}

export async function makeCore(over: Partial<ServingCoreOptions> = {}): Promise<CoreHarness> {
  const root = await mkdtemp(join(tmpdir(), 'nserve-core-'));
  const store = join(root, 'store');
  await mkdir(store);
  const logs: string[] = [];
  const line = (level: string) => (m: string) => logs.push(`${level} ${m}`);
  const core = createServingCore({
    modelStore: store,
    tmpDir: join(root, 'tmp'),
    jobQueueSize: 100,
    defaultWorkersPerModel: 0,
    defaultResponseTimeout: 120,
    defaultStartupTimeout: 120,
    unregisterModelTimeout: 5,
    allowedUrls: [/file:\/\/.*/, /http(s)?:\/\/.*/],
    enableModelApi: true,
    maxResponseSize: 6_553_500,
    metrics: noopMetrics,
    log: { info: line('info'), warn: line('warn'), error: line('error') },
    extractArchive: extractModelArchive,
    backoffUnitMs: 20,
    startupWorkers: 1,
    ...over,
  });
  return {
    core,
    store,
    logs,
    async addModel(dir, spec) {
      const modelDir = join(store, dir);
      await mkdir(join(modelDir, 'MAR-INF'), { recursive: true });
      const file = spec.handler.split(':')[0]!;
      if (file.endsWith('.js')) await copyFile(join(handlerFixtures, file), join(modelDir, file));
      for (const [name, bytes] of Object.entries(spec.files ?? {})) await writeFile(join(modelDir, name), bytes);
      const model: Record<string, string> = { modelName: spec.name ?? dir, modelVersion: spec.version ?? '1.0', handler: spec.handler };
      if (spec.serializedFile !== undefined) model.serializedFile = spec.serializedFile;
      if (spec.config !== undefined) {
        model.configFile = 'model-config.yaml';
        await writeFile(join(modelDir, 'model-config.yaml'), spec.config);
      }
      await writeFile(join(modelDir, 'MAR-INF', 'MANIFEST.json'), JSON.stringify({ runtime: 'python', model }));
    },
    async close() {
      await core.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
