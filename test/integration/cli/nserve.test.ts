/**
 * `bin/nserve.js` as users run it: a real process, a temp config with ephemeral ports on
 * 127.0.0.1 and an empty model store. Needs `dist/` (built by `npm test`).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = resolve('bin/nserve.js');
let dir: string;
let env: NodeJS.ProcessEnv;
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nserve-cli-'));
  mkdirSync(join(dir, 'store'));
  writeFileSync(
    join(dir, 'config.properties'),
    ['inference_address=http://127.0.0.1:0', 'management_address=http://127.0.0.1:0', 'metrics_address=http://127.0.0.1:0', 'grpc_inference_port=0', 'grpc_management_port=0', 'disable_system_metrics=true'].join('\n'),
  );
  env = { ...process.env, NSERVE_PID_FILE: join(dir, 'server.pid'), LOG_LOCATION: join(dir, 'logs') };
  delete env.PORT;
  // Inside a Kubernetes pod `--start` would stay in the foreground (src/cli/container.ts).
  delete env.KUBERNETES_SERVICE_HOST;
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env });
  children.push(child);
  return child;
}

/** Resolves with stdout so far once `text` appears (rejects if the process exits first). */
function waitFor(child: ChildProcessWithoutNullStreams, text: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolveWait, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${text}: ${out}${err}`)), timeoutMs);
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(text)) {
        clearTimeout(timer);
        resolveWait(out);
      }
    });
    // 'end', not 'exit': a background start exits while its child keeps writing to the pipe.
    child.stdout.on('end', () => {
      if (!out.includes(text)) {
        clearTimeout(timer);
        reject(new Error(`output ended before ${text}: ${out}${err}`));
      }
    });
  });
}

const exited = (child: ChildProcessWithoutNullStreams) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.on('exit', (code) => r(code))));
const portOf = (log: string, group: string) => Number(new RegExp(`Listening on http://127\\.0\\.0\\.1:(\\d+) \\(${group}\\)`).exec(log)?.[1]);

describe('nserve CLI', () => {
  it('--foreground: serves /ping with the token, answers 400 without it, stops cleanly on SIGTERM', async () => {
    const child = run(['--foreground', '--ts-config', 'config.properties', '--model-store', 'store', '--ncs']);
    const log = await waitFor(child, 'Model server started.');
    const inference = portOf(log, 'inference');
    const management = portOf(log, 'management');
    expect(readFileSync(env.NSERVE_PID_FILE!, 'utf8')).toBe(String(child.pid));
    const keys = JSON.parse(readFileSync(join(dir, 'key_file.json'), 'utf8')) as Record<string, { key: string }>;
    expect(await (await fetch(`http://127.0.0.1:${inference}/ping`)).json()).toEqual({ status: 'Healthy' });
    const denied = await fetch(`http://127.0.0.1:${management}/models`);
    expect(denied.status).toBe(400);
    expect(((await denied.json()) as { type: string }).type).toBe('InvalidKeyException');
    const listed = await fetch(`http://127.0.0.1:${management}/models`, { headers: { authorization: `Bearer ${keys.management!.key}` } });
    expect(await listed.json()).toEqual({ models: [] });
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(existsSync(env.NSERVE_PID_FILE!)).toBe(false);
    expect(existsSync(join(dir, 'key_file.json'))).toBe(false);
  });

  it('--start runs in the background and refuses a second start; --stop stops it', async () => {
    const starter = run(['--start', '--ts-config', 'config.properties', '--model-store', 'store', '--ncs', '--dt']);
    await waitFor(starter, 'Model server started.');
    expect(await exited(starter)).toBe(0);
    const pid = Number(readFileSync(env.NSERVE_PID_FILE!, 'utf8'));
    expect(pid).not.toBe(starter.pid);
    const again = spawnSync(process.execPath, [BIN, '--start', '--model-store', 'store'], { cwd: dir, env, encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stdout.trim(), again.stderr).toBe('nserve is already running, please use nserve --stop to stop nserve.');
    const stop = spawnSync(process.execPath, [BIN, '--stop'], { cwd: dir, env, encoding: 'utf8' });
    expect(stop.stdout.trim()).toBe('nserve has stopped.');
    expect(() => process.kill(pid, 0)).toThrow();
    const stopAgain = spawnSync(process.execPath, [BIN, '--stop'], { cwd: dir, env, encoding: 'utf8' });
    expect(stopAgain.stdout.trim()).toBe('nserve is not currently running.');
  });

  it('start-up errors print one line on stderr and exit 2; -v prints the version', () => {
    writeFileSync(join(dir, 'bad.properties'), 'job_queue_size=lots\n');
    const cases = [
      ['--foreground', '--ts-config', 'bad.properties', '--model-store', 'store'],
      ['--foreground', '--ts-config', 'missing.properties', '--model-store', 'store'],
      ['--foreground', '--ts-config', 'config.properties', '--model-store', 'nowhere'],
      ['--foreground', '--ts-config', 'config.properties'],
      ['--bogus'],
    ];
    const messages = cases.map((args) => {
      const res = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, env, encoding: 'utf8' });
      expect(res.status, args.join(' ')).toBe(2);
      expect(res.stderr).not.toMatch(/\n\s+at /);
      return res.stderr.trim().split('\n').pop();
    });
    expect(messages[0]).toMatch(/job_queue_size.*lots/);
    expect(messages[1]).toBe('nserve: --ts-config file not found: missing.properties');
    expect(messages[2]).toMatch(/^nserve: --model-store directory not found: .*nowhere$/);
    expect(messages[3]).toBe('nserve: Missing mandatory parameter --model-store');
    expect(messages[4]).toBe('nserve: error: unrecognized arguments: --bogus');
    for (const m of messages.slice(0, 4)) expect(m!.split('\n')).toHaveLength(1);
    const version = spawnSync(process.execPath, [BIN, '-v'], { cwd: dir, env, encoding: 'utf8' });
    expect(version.stdout, version.stderr).toMatch(/^nserve Version is \d+\.\d+\.\d+\n$/);
  });
});
