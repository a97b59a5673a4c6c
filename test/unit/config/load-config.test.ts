import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/errors.js';
import { loadConfig } from '../../../src/config/index.js';

const fixtures = join(import.meta.dirname, '..', '..', 'fixtures', 'config');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nserve-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string | Buffer): string => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

async function rejection(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: which file', () => {
  it('uses built-in defaults when there is no file', async () => {
    const r = await loadConfig({ cli: {}, env: {}, cwd: dir });
    expect(r.configPath).toBeUndefined();
    expect(r.warnings).toEqual([]);
    expect(r.config.inferenceAddress).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8080 });
  });

  it('reads ./config.properties from cwd and tells the logger', async () => {
    const path = write('config.properties', 'job_queue_size=9\nmodel_store=store\n');
    const lines: string[] = [];
    const r = await loadConfig({ cli: {}, env: {}, cwd: dir, log: { info: (m) => lines.push(m) } });
    expect(r.configPath).toBe(path);
    expect(r.config.jobQueueSize).toBe(9);
    expect(r.config.modelStore).toBe(join(dir, 'store'));
    expect(lines).toEqual([`Config file: ${path}`]);
  });

  it('--ts-config (relative to cwd) beats ./config.properties', async () => {
    write('config.properties', 'job_queue_size=9');
    const path = write('conf/other.properties', 'job_queue_size=5');
    const r = await loadConfig({ cli: { tsConfig: 'conf/other.properties' }, env: {}, cwd: dir });
    expect(r.configPath).toBe(path);
    expect(r.config.jobQueueSize).toBe(5);
  });

  it('TS_CONFIG_FILE beats --ts-config', async () => {
    write('a.properties', 'job_queue_size=5');
    const path = write('b.properties', 'job_queue_size=6');
    const r = await loadConfig({ cli: { tsConfig: 'a.properties' }, env: { TS_CONFIG_FILE: path }, cwd: dir });
    expect(r.configPath).toBe(path);
    expect(r.config.jobQueueSize).toBe(6);
  });

  it('a missing --ts-config file is an error with the torchserve CLI message', async () => {
    const err = await rejection(loadConfig({ cli: { tsConfig: 'nope.properties' }, env: {}, cwd: dir }));
    expect(err.message).toBe('--ts-config file not found: nope.properties');
  });

  it('a missing TS_CONFIG_FILE is an error too', async () => {
    write('config.properties', 'job_queue_size=9');
    const err = await rejection(loadConfig({ cli: {}, env: { TS_CONFIG_FILE: '/does/not/exist.properties' }, cwd: dir }));
    expect(err.message).toBe('TS_CONFIG_FILE file not found: /does/not/exist.properties');
  });

  it('the newest snapshot in logs/config beats ./config.properties, unless --ncs', async () => {
    write('config.properties', 'job_queue_size=9');
    write('logs/config/20240101000000000-startup.cfg', 'job_queue_size=1');
    const newest = write('logs/config/20240102000000000-shutdown.cfg', '#Saving snapshot\njob_queue_size=2');
    write('logs/config/notes.txt', 'job_queue_size=3');
    const r = await loadConfig({ cli: {}, env: {}, cwd: dir });
    expect(r.configPath).toBe(newest);
    expect(r.config.jobQueueSize).toBe(2);
    const ncs = await loadConfig({ cli: { ncs: true }, env: {}, cwd: dir });
    expect(ncs.config.jobQueueSize).toBe(9);
    expect(ncs.config.noConfigSnapshots).toBe(true);
  });

  it('looks for snapshots under LOG_LOCATION', async () => {
    const path = write('elsewhere/config/20240101000000000-snapshot.cfg', 'job_queue_size=4');
    const r = await loadConfig({ cli: {}, env: { LOG_LOCATION: 'elsewhere' }, cwd: dir });
    expect(r.configPath).toBe(path);
  });
});

describe('loadConfig: a snapshot TorchServe wrote (Properties.store escapes)', () => {
  it('restores from the newest snapshot; --model-store still overrides the store', async () => {
    mkdirSync(join(dir, 'logs', 'config'), { recursive: true });
    mkdirSync(join(dir, 'store'));
    writeFileSync(join(dir, 'store', 'noop.mar'), '');
    copyFileSync(join(fixtures, '20240305100000000-shutdown.cfg'), join(dir, 'logs', 'config', '20240305100000000-shutdown.cfg'));
    const r = await loadConfig({ cli: { modelStore: 'store' }, env: {}, cwd: dir });
    expect(r.configPath).toBe(join(dir, 'logs', 'config', '20240305100000000-shutdown.cfg'));
    expect(r.warnings).toEqual(['load_models is ignored because model_snapshot is set (models are restored from the snapshot)']);
    expect(r.config.inferenceAddress).toEqual({ scheme: 'http', host: '127.0.0.1', port: 8080 });
    expect(r.config.modelStore).toBe(join(dir, 'store'));
    expect(r.config.numberOfGpu).toBe(0);
    const snap = r.config.modelSnapshot!;
    expect(snap).toMatchObject({ name: '20240305100000000-shutdown.cfg', modelCount: 1, created: 1709632800000 });
    expect(snap.models.get('noop')?.get('1.0')).toMatchObject({ maxWorkers: 2, batchSize: 4, runtimeType: 'python' });
  });
});

describe('loadConfig: bytes', () => {
  it('reads the file as ISO-8859-1', async () => {
    const path = join(dir, 'latin1.properties');
    copyFileSync(join(fixtures, 'latin1.properties'), path);
    const r = await loadConfig({ cli: { tsConfig: path }, env: {}, cwd: dir });
    expect(r.config.defaultServiceHandler).toBe('café');
    expect(r.config.corsAllowedOrigin).toBe('été');
  });

  it('skips a UTF-8 byte-order mark with a warning instead of corrupting the first key', async () => {
    write('config.properties', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('job_queue_size=3\n')]));
    const r = await loadConfig({ cli: {}, env: {}, cwd: dir });
    expect(r.config.jobQueueSize).toBe(3);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/byte-order mark/);
  });
});

describe('loadConfig: the KServe seed', () => {
  const seed = join(fixtures, 'kserve-seed.properties');

  it('loads with the model store from TS_MODEL_STORE (enable_envvars_config=true) when the snapshot archive exists', async () => {
    mkdirSync(join(dir, 'store'));
    writeFileSync(join(dir, 'store', 'stable-diffusion.mar'), '');
    const r = await loadConfig({ cli: { tsConfig: seed }, env: { TS_MODEL_STORE: join(dir, 'store') }, cwd: dir });
    expect(r.config.modelStore).toBe(join(dir, 'store'));
    expect(r.config.modelSnapshot?.models.get('stable-diffusion')?.get('1.0')?.maxBatchDelay).toBe(5000);
    expect(r.warnings).toEqual([expect.stringMatching(/^NUM_WORKERS .*ignored/)]);
  });

  it('fails start-up when a snapshot archive is missing from model_store (InvalidSnapshotException)', async () => {
    mkdirSync(join(dir, 'empty'));
    const err = await rejection(loadConfig({ cli: { tsConfig: seed }, env: { TS_MODEL_STORE: join(dir, 'empty') }, cwd: dir }));
    expect(err.key).toBe('model_snapshot');
    expect(err.message).toContain('"stable-diffusion.mar"');
  });

  it('modelCount <= 0 restores nothing and checks nothing', async () => {
    write('c.properties', 'model_snapshot={"modelCount":0,"models":{"m":{"1":{"defaultVersion":true,"marName":"gone.mar","minWorkers":1,"maxWorkers":1,"batchSize":1,"maxBatchDelay":1}}}}');
    const r = await loadConfig({ cli: { tsConfig: 'c.properties' }, env: {}, cwd: dir });
    expect(r.config.modelSnapshot?.modelCount).toBe(0);
  });
});
