/**
 * Config snapshots through the real process (`node bin/nserve.js --foreground`): a temp cwd,
 * LOG_LOCATION and pid file, ports 0, and a model store holding echo-handler archives built
 * by `bin/nserve-archiver.js`. Needs `dist/` (`npm run build`).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeLatin1, parseModelSnapshot, parseProperties, type ModelSnapshot } from '../../../src/config/index.js';

const BIN = resolve('bin/nserve.js');
const ARCHIVER = resolve('bin/nserve-archiver.js');
let dir: string;
const children: ChildProcessWithoutNullStreams[] = [];

interface Server {
  child: ChildProcessWithoutNullStreams;
  log: () => string;
  inference: string;
  management: string;
}

function archive(version: string, fileName: string): void {
  const out = join(dir, `build-${version}`);
  mkdirSync(out);
  execFileSync(process.execPath, [ARCHIVER, '--model-name', 'e', '--version', version, '--handler', 'echo', '--export-path', out]);
  renameSync(join(out, 'e.mar'), join(dir, 'store', fileName));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nserve-snapshot-'));
  mkdirSync(join(dir, 'store'));
  archive('1.0', 'e.mar');
  archive('2.0', 'e-v2.mar');
  writeFileSync(
    join(dir, 'base.properties'),
    [
      'inference_address=http://127.0.0.1:0',
      'management_address=http://127.0.0.1:0',
      'metrics_address=http://127.0.0.1:0',
      'grpc_inference_port=0',
      'grpc_management_port=0',
      'disable_system_metrics=true',
      'enable_model_api=true',
      'disable_token_authorization=true',
      'default_workers_per_model=1',
    ].join('\n'),
  );
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(args: string[], logLocation: string): Promise<Server> {
  const env: NodeJS.ProcessEnv = { ...process.env, NSERVE_PID_FILE: join(dir, 'server.pid'), LOG_LOCATION: logLocation };
  delete env.PORT;
  delete env.TS_CONFIG_FILE;
  const child = spawn(process.execPath, [BIN, '--foreground', ...args], { cwd: dir, env });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up: ${out}`)), 30_000);
    child.on('exit', () => reject(new Error(`exited before start-up: ${out}`)));
    child.stdout.on('data', () => {
      if (!out.includes('Model server started.')) return;
      clearTimeout(timer);
      const port = (group: string) => new RegExp(`Listening on http://127\\.0\\.0\\.1:(\\d+) \\(${group}\\)`).exec(out)?.[1];
      resolveStart({ child, log: () => out, inference: `http://127.0.0.1:${port('inference')}`, management: `http://127.0.0.1:${port('management')}` });
    });
  });
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise<number | null>((r) => server.child.on('exit', (code) => r(code)));
  server.child.kill('SIGTERM');
  expect(await exited).toBe(0);
}

async function call(method: string, url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method });
  return { status: res.status, body: JSON.parse(await res.text()) as unknown };
}

const configDir = () => join(dir, 'logs', 'config');
const snapshotFiles = () => readdirSync(configDir()).sort();
function readSnapshot(name: string): { props: Map<string, string>; snapshot: ModelSnapshot } {
  const props = parseProperties(decodeLatin1(readFileSync(join(configDir(), name))));
  return { props, snapshot: parseModelSnapshot('model_snapshot', props.get('model_snapshot')!, []) };
}

async function until<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const v = read();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('config snapshots (real process)', () => {
  it('writes startup/snapshot/shutdown files; a restart with no config flag restores models, workers and default version', async () => {
    const first = await start(['--ts-config', 'base.properties', '--model-store', 'store'], join(dir, 'logs'));
    const startup = snapshotFiles();
    expect(startup).toHaveLength(1);
    expect(startup[0]).toMatch(/^\d{17}-startup\.cfg$/);
    expect(readSnapshot(startup[0]!).snapshot.modelCount).toBe(0);

    expect((await call('POST', `${first.management}/models?url=e.mar&initial_workers=1&synchronous=true`)).status).toBe(200);
    expect((await call('PUT', `${first.management}/models/e?min_worker=2&max_worker=3&synchronous=true`)).status).toBe(200);
    const afterScale = snapshotFiles();
    expect(afterScale).toHaveLength(3);
    expect(afterScale.slice(1).every((n) => /^\d{17}-snapshot\.cfg$/.test(n))).toBe(true);
    const scaled = readSnapshot(afterScale[2]!);
    expect(scaled.props.get('model_store')).toBe('store');
    expect(scaled.props.get('enable_model_api')).toBe('true');
    expect(scaled.snapshot.models.get('e')?.get('1.0')).toEqual({
      defaultVersion: true, marName: 'e.mar', minWorkers: 2, maxWorkers: 3, batchSize: 1, maxBatchDelay: 100,
      responseTimeout: 120, startupTimeout: 120, runtimeType: 'python',
    });

    expect((await call('POST', `${first.management}/models?url=e-v2.mar&initial_workers=1&synchronous=true`)).status).toBe(200);
    expect((await call('PUT', `${first.management}/models/e/2.0/set-default`)).status).toBe(200);
    await until(() => (snapshotFiles().length === 5 ? true : undefined), 'the set-default snapshot');
    expect((await call('PUT', `${first.management}/models/nope?min_worker=1`)).status).toBe(404);
    await stop(first);

    const all = snapshotFiles();
    expect(all).toHaveLength(6); // the failed scale wrote nothing
    expect(all[5]).toMatch(/^\d{17}-shutdown\.cfg$/);
    const shutdown = readSnapshot(all[5]!).snapshot;
    expect(shutdown.modelCount).toBe(2);
    expect(shutdown.models.get('e')?.get('2.0')).toMatchObject({ defaultVersion: true, marName: 'e-v2.mar', minWorkers: 1 });
    expect(shutdown.models.get('e')?.get('1.0')).toMatchObject({ defaultVersion: false, minWorkers: 2, maxWorkers: 3 });

    // No --ts-config, no --model-store: the newest snapshot is the configuration.
    const second = await start([], join(dir, 'logs'));
    try {
      expect(second.log()).toContain(`Config file: ${join(configDir(), all[5]!)}`);
      const described = (await call('GET', `${second.management}/models/e/all`)).body as { modelVersion: string; minWorkers: number; maxWorkers: number; workers: unknown[] }[];
      const byVersion = new Map(described.map((d) => [d.modelVersion, d]));
      expect(byVersion.get('1.0')).toMatchObject({ minWorkers: 2, maxWorkers: 3 });
      expect(byVersion.get('1.0')?.workers).toHaveLength(2);
      expect(byVersion.get('2.0')?.workers).toHaveLength(1);
      expect(((await call('GET', `${second.management}/models/e`)).body as { modelVersion: string }[])[0]?.modelVersion).toBe('2.0');
      const predicted = await fetch(`${second.inference}/predictions/e/1.0`, { method: 'POST', body: 'hello' });
      expect(predicted.status).toBe(200);
      expect(await predicted.text()).toBe('hello');
      // Its own start-up snapshot records the same state.
      const newest = snapshotFiles().at(-1)!;
      expect(newest).toMatch(/-startup\.cfg$/);
      expect(readSnapshot(newest).snapshot.models.get('e')?.get('1.0')).toMatchObject({ minWorkers: 2, defaultVersion: false });
    } finally {
      await stop(second);
    }
  });

  it('--ncs writes no snapshot and reads none', async () => {
    const logs = join(dir, 'ncs-logs');
    mkdirSync(join(logs, 'config'), { recursive: true });
    // A snapshot that would fail start-up if it were read (its archive does not exist).
    writeFileSync(join(logs, 'config', '20990101000000000-shutdown.cfg'), 'model_snapshot={"modelCount":1,"models":{"x":{"1.0":{"defaultVersion":true,"marName":"missing.mar","minWorkers":1,"maxWorkers":1,"batchSize":1,"maxBatchDelay":100}}}}\n');
    const server = await start(['--ts-config', 'base.properties', '--model-store', 'store', '--ncs'], logs);
    expect((await call('POST', `${server.management}/models?url=e.mar&initial_workers=1&synchronous=true`)).status).toBe(200);
    expect((await call('PUT', `${server.management}/models/e?min_worker=2&synchronous=true`)).status).toBe(200);
    await stop(server);
    expect(readdirSync(join(logs, 'config'))).toEqual(['20990101000000000-shutdown.cfg']);
  });
});
