/**
 * A real `node bin/nserve.js --foreground` for end-to-end tests and benchmarks: its own temp
 * working directory (key_file.json lands there), config.properties with ephemeral 127.0.0.1
 * ports, model store, TMPDIR and pid file, so several servers can run side by side.
 * Needs `dist/` (`npm run build`).
 *
 * Every started server is SIGKILLed when the test process exits, whatever happened; tests
 * still call `stop()` in afterAll/afterEach.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const BIN = join(PACKAGE_ROOT, 'bin', 'nserve.js');

export type PropertyValue = string | number | boolean;

export interface StartNserveOptions {
  /** Extra config.properties keys (override the ephemeral-port defaults). */
  properties?: Record<string, PropertyValue>;
  /** Files copied into the model store (e.g. `.mar` paths). */
  storeFiles?: string[];
  /** `load_models` (default: every archive copied in; `[]` for none). */
  loadModels?: string[];
  /** Token authorization (default off: `--disable-token-auth`). */
  tokenAuth?: boolean;
  /** Extra command-line arguments. */
  args?: string[];
  /** Node.js flags before the script (e.g. `--cpu-prof`). */
  nodeArgs?: string[];
  /** Extra environment variables for the server. */
  env?: Record<string, string>;
  /** How long to wait for `Model server started.` (default 60 s). */
  startTimeoutMs?: number;
  /** Called with every chunk of stdout/stderr as it arrives (e.g. to act before start-up ends). */
  onOutput?: (chunk: string) => void;
}

export interface NserveKeys {
  management: string;
  inference: string;
  api: string;
}

export interface NserveProcess {
  inferenceUrl: string;
  managementUrl: string;
  metricsUrl: string | undefined;
  grpcPorts: { inference: number; management: number } | undefined;
  /** Keys from key_file.json when token auth is on. */
  keys: NserveKeys | undefined;
  /** The server's working directory (temp). */
  dir: string;
  modelStore: string;
  pid: number;
  child: ChildProcessWithoutNullStreams;
  /** stdout + stderr so far. */
  log(): string;
  /** Resolves when the log matches (from the start); rejects after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (null when killed by a signal) once the process has exited. */
  exited: Promise<number | null>;
  /**
   * SIGTERM, then SIGKILL after `graceMs` (default 1 s: an idle keep-alive client can hold a
   * graceful stop for the whole 10 s drain); removes the temp directory.
   */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcessWithoutNullStreams>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

function propertiesText(props: Record<string, PropertyValue>): string {
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join('\n')}\n`;
}

const portOf = (log: string, group: string): number | undefined => {
  // `(inference)`, or a combined listener such as `(inference, management, metrics)`.
  const m = new RegExp(`Listening on http://127\\.0\\.0\\.1:(\\d+) \\((?:[a-z]+, )*${group}(?:, [a-z]+)*\\)`).exec(log);
  return m ? Number(m[1]) : undefined;
};

export async function startNserve(options: StartNserveOptions = {}): Promise<NserveProcess> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'nserve-e2e-'));
  const modelStore = join(dir, 'model-store');
  const tmp = join(dir, 'tmp');
  mkdirSync(modelStore);
  mkdirSync(tmp);
  const copied: string[] = [];
  for (const file of options.storeFiles ?? []) {
    cpSync(file, join(modelStore, basename(file)), { recursive: true });
    copied.push(basename(file));
  }
  const loadModels = options.loadModels ?? copied;
  const props: Record<string, PropertyValue> = {
    inference_address: 'http://127.0.0.1:0',
    management_address: 'http://127.0.0.1:0',
    metrics_address: 'http://127.0.0.1:0',
    grpc_inference_port: 0,
    grpc_management_port: 0,
    disable_system_metrics: true,
    default_workers_per_model: 1,
    ...(loadModels.length > 0 ? { load_models: loadModels.join(',') } : {}),
    ...options.properties,
  };
  writeFileSync(join(dir, 'config.properties'), propertiesText(props));
  const args = ['--foreground', '--ts-config', 'config.properties', '--model-store', 'model-store', '--ncs'];
  if (!options.tokenAuth) args.push('--disable-token-auth');
  args.push(...(options.args ?? []));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TMPDIR: tmp,
    NSERVE_PID_FILE: join(tmp, '.model_server.pid'),
    LOG_LOCATION: join(dir, 'logs'),
    ...options.env,
  };
  // PORT changes where inference is served: only when a test asks for it.
  if (options.env?.PORT === undefined) delete env.PORT;
  delete env.TS_CONFIG_FILE;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, ...args], { cwd: dir, env });
  live.add(child);
  let output = '';
  const waiters = new Set<() => void>();
  const onData = (d: Buffer): void => {
    output += d.toString();
    options.onOutput?.(d.toString());
    for (const w of waiters) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((r) => {
    child.on('exit', (code) => {
      live.delete(child);
      r(code);
      for (const w of waiters) w();
    });
  });

  const waitForLog = (pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> =>
    new Promise((resolveWait, reject) => {
      const check = (): void => {
        const m = pattern.exec(output);
        if (m) {
          done();
          resolveWait(m);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`nserve exited (${child.exitCode ?? child.signalCode}) before ${pattern}:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${output}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const stop = async (graceMs = 1_000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForLog(/Model server started\./, options.startTimeoutMs ?? 60_000);
  } catch (err) {
    await stop(0);
    throw err;
  }
  const inference = portOf(output, 'inference');
  const management = portOf(output, 'management');
  if (inference === undefined || management === undefined) {
    await stop(0);
    throw new Error(`no listening ports in the log:\n${output}`);
  }
  const metrics = portOf(output, 'metrics');
  const grpc = /gRPC inference on [^\s,]+:(\d+), management on [^\s,]+:(\d+)/.exec(output);
  const keyFile = join(dir, 'key_file.json');
  let keys: NserveKeys | undefined;
  if (options.tokenAuth && existsSync(keyFile)) {
    const raw = JSON.parse(readFileSync(keyFile, 'utf8')) as Record<string, { key: string }>;
    keys = { management: raw.management!.key, inference: raw.inference!.key, api: raw.API?.key ?? raw.api?.key ?? '' };
  }
  return {
    inferenceUrl: `http://127.0.0.1:${inference}`,
    managementUrl: `http://127.0.0.1:${management}`,
    metricsUrl: metrics === undefined ? undefined : `http://127.0.0.1:${metrics}`,
    grpcPorts: grpc ? { inference: Number(grpc[1]), management: Number(grpc[2]) } : undefined,
    keys,
    dir,
    modelStore,
    pid: child.pid!,
    child,
    log: () => output,
    waitForLog,
    exited,
    stop,
  };
}
