/**
 * SnapshotWriter over a real serving core (models registered with 0 workers: no threads) and
 * a real temp directory.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractModelArchive } from '../../../src/archive/index.js';
import { decodeLatin1, parseModelSnapshot, parseProperties, type ModelSnapshot } from '../../../src/config/index.js';
import { createServingCore, type ServingCore } from '../../../src/core/index.js';
import { noopMetrics } from '../../../src/metrics/metrics-api.js';
import { SNAPSHOT_FILE, snapshotFileName, SnapshotWriter, type SnapshotWriterOptions } from '../../../src/snapshot/index.js';

let dir: string;
let store: string;
let core: ServingCore;
let logs: string[];
const log = { info: () => {}, warn: (m: string) => logs.push(m), error: () => {}, debug: () => {} };

function modelDir(name: string, version: string): string {
  const d = join(store, `${name}-${version}`);
  mkdirSync(join(d, 'MAR-INF'), { recursive: true });
  writeFileSync(join(d, 'MAR-INF', 'MANIFEST.json'), JSON.stringify({ runtime: 'python', model: { modelName: name, modelVersion: version, handler: 'echo' } }));
  writeFileSync(join(d, 'README'), 'a model directory (a lone MAR-INF would be taken as the root)');
  return `${name}-${version}`;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nserve-snap-'));
  store = join(dir, 'store');
  mkdirSync(store);
  logs = [];
  core = createServingCore({
    modelStore: store, tmpDir: join(dir, 'tmp'), jobQueueSize: 10, defaultWorkersPerModel: 0, defaultResponseTimeout: 120,
    defaultStartupTimeout: 120, unregisterModelTimeout: 5, allowedUrls: [/file:\/\/.*/], enableModelApi: true,
    maxResponseSize: 1 << 20, metrics: noopMetrics, log, extractArchive: (source, opts) => extractModelArchive(source, opts),
  });
});
afterEach(async () => {
  await core.close();
  rmSync(dir, { recursive: true, force: true });
});

const configDir = () => join(dir, 'logs', 'config');
const writer = (over: Partial<SnapshotWriterOptions> = {}) =>
  new SnapshotWriter({ dir: configDir(), properties: new Map([['model_store', store]]), management: core.management, modelStore: store, log, ...over });
const files = () => readdirSync(configDir()).sort();
function read(name: string): { props: Map<string, string>; snapshot: ModelSnapshot } {
  const props = parseProperties(decodeLatin1(readFileSync(join(configDir(), name))));
  return { props, snapshot: parseModelSnapshot('model_snapshot', props.get('model_snapshot')!, []) };
}

describe('SnapshotWriter', () => {
  it('writes startup, snapshot and shutdown files with increasing names, each with the models at that moment', async () => {
    const at = new Date(2024, 4, 6, 7, 8, 9, 10);
    const w = writer({ now: () => at });
    expect(await w.changed()).toBeUndefined(); // nothing before start()
    const startup = await w.start();
    expect(startup).toBe(join(configDir(), snapshotFileName('startup', at)));
    await core.management.register({ url: modelDir('e', '1.0'), synchronous: true, initialWorkers: 0, batchSize: 3 });
    await w.changed();
    await core.management.register({ url: modelDir('e', '2.0'), synchronous: true, initialWorkers: 0 });
    core.management.setDefault('e', '2.0');
    await w.changed();
    await w.close();
    expect(await w.changed()).toBeUndefined(); // nothing after close()
    expect(await w.close()).toBeUndefined();

    const names = files();
    expect(names).toEqual(['20240506070809010-startup.cfg', '20240506070809011-snapshot.cfg', '20240506070809012-snapshot.cfg', '20240506070809013-shutdown.cfg']);
    expect(read(names[0]!).snapshot.modelCount).toBe(0);
    const first = read(names[1]!);
    expect(first.props.get('model_store')).toBe(store);
    expect(first.snapshot.name).toBe(names[1]);
    expect(first.snapshot.models.get('e')?.get('1.0')).toMatchObject({ defaultVersion: true, marName: 'e-1.0', minWorkers: 0, batchSize: 3 });
    const last = read(names[3]!).snapshot;
    expect(last.modelCount).toBe(2);
    expect(last.models.get('e')?.get('1.0')?.defaultVersion).toBe(false);
    expect(last.models.get('e')?.get('2.0')?.defaultVersion).toBe(true);
  });

  it('close() without start() writes nothing', async () => {
    const w = writer();
    expect(await w.close()).toBeUndefined();
    expect(() => readdirSync(configDir())).toThrow();
  });

  it('keeps only the newest `keep` snapshot files and leaves other files alone', async () => {
    mkdirSync(configDir(), { recursive: true });
    writeFileSync(join(configDir(), '20000101000000000-snapshot.cfg'), 'old=1\n');
    writeFileSync(join(configDir(), 'notes.txt'), 'mine');
    const w = writer({ keep: 3 });
    await w.start();
    for (let i = 0; i < 5; i++) await w.changed();
    const names = files();
    expect(names).toContain('notes.txt');
    const snaps = names.filter((n) => SNAPSHOT_FILE.test(n));
    expect(snaps).toHaveLength(3);
    expect(snaps.every((n) => n.endsWith('-snapshot.cfg') && !n.startsWith('2000'))).toBe(true);
    await w.close();
    expect(files().filter((n) => SNAPSHOT_FILE.test(n)).at(-1)).toMatch(/-shutdown\.cfg$/);
  });

  it('writes each file under a temporary name first, then renames it (no half-written snapshot is ever visible); no temp file stays', async () => {
    const w = writer();
    await w.start();
    const events: string[] = [];
    const watcher = watch(configDir(), (_event, name) => {
      if (name !== null) events.push(String(name));
    });
    const written: string[] = [];
    for (let i = 0; i < 3; i++) written.push(basename((await w.changed())!));
    await new Promise((r) => setTimeout(r, 100)); // let inotify deliver
    watcher.close();
    for (const name of written) {
      const first = events.indexOf(name);
      expect(first, `${name} in ${events.join(' ')}`).toBeGreaterThan(0);
      expect(events.slice(0, first).some((e) => /^\.\d+-\d+\.tmp$/.test(e))).toBe(true);
    }
    expect(events.filter((e) => /\.tmp$/.test(e)).length).toBeGreaterThanOrEqual(3);
    expect(files().filter((n) => !SNAPSHOT_FILE.test(n))).toEqual([]);
  });

  it('records a file:// URL-registered model by its file in model_store; leaves out one outside model_store, warning once', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    execFileSync(process.execPath, ['bin/nserve-archiver.js', '--model-name', 'u', '--version', '1.0', '--handler', 'echo', '--export-path', outside]);
    await core.management.register({ url: pathToFileURL(join(outside, 'u.mar')).href, synchronous: true, initialWorkers: 0 });
    const src = join(outside, 'plain-dir');
    mkdirSync(join(src, 'MAR-INF'), { recursive: true });
    writeFileSync(join(src, 'MAR-INF', 'MANIFEST.json'), JSON.stringify({ runtime: 'python', model: { modelName: 'd', modelVersion: '1.0', handler: 'echo' } }));
    writeFileSync(join(src, 'README'), 'x');
    await core.management.register({ url: src, synchronous: true, initialWorkers: 0 }); // a directory outside the store
    const w = writer();
    await w.start();
    await w.changed();
    const models = read(files().at(-1)!).snapshot.models;
    expect(models.get('u')?.get('1.0')?.marName).toBe('u.mar');
    expect(readdirSync(store)).toContain('u.mar');
    expect(models.has('d')).toBe(false);
    expect(logs.filter((m) => m.includes('model d version 1.0 is left out'))).toHaveLength(1);
  });

  it('a write that fails is logged and resolves undefined, and later writes still work', async () => {
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(configDir(), 'a file where the directory should be');
    const w = writer();
    expect(await w.start()).toBeUndefined();
    expect(logs.some((m) => m.startsWith('config snapshot (startup) not written'))).toBe(true);
    rmSync(configDir());
    expect(await w.changed()).toMatch(/-snapshot\.cfg$/);
  });
});
