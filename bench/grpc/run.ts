/**
 * gRPC `Predictions` vs REST `POST /predictions/{model}` on the same server, same no-op model,
 * same run. Starts the real server (`node bin/nserve.js --foreground`) with a temporary config
 * and model store holding `noop.mar` (built-in `echo` handler, built with nserve-archiver,
 * registered through the management API with BENCH_WORKERS workers),
 * drives REST with autocannon and gRPC with a closed loop of concurrent unary calls over one
 * HTTP/2 channel, prints a table and writes bench/results/grpc-<time>.json. The same gRPC loop
 * also runs against a bare grpc-js server with the same service that echoes the body
 * (bare-grpc.mjs, its own process): the baseline for nserve's gRPC overhead.
 *
 *   npm run build && npm run bench:grpc
 *   BENCH_DURATION=10 BENCH_CONNECTIONS=32 BENCH_WORKERS=2 BENCH_CHANNELS=1 npm run bench:grpc
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import autocannon from 'autocannon';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const DURATION_S = env('BENCH_DURATION', 10);
const CONNECTIONS = env('BENCH_CONNECTIONS', 32);
const WORKERS = env('BENCH_WORKERS', 1);
const CHANNELS = env('BENCH_CHANNELS', 1);
const BODY = JSON.stringify({ x: 1 });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

function buildStore(dir: string): string {
  const store = join(dir, 'model-store');
  mkdirSync(store);
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'nserve-archiver.js'), '--model-name', 'noop', '--version', '1.0', '--handler', 'echo', '--export-path', store], {
    encoding: 'utf8',
  });
  if (run.status !== 0 || !existsSync(join(store, 'noop.mar'))) throw new Error(`nserve-archiver failed: ${run.stderr || run.stdout}`);
  return store;
}

async function startServer(dir: string, store: string): Promise<{ child: ChildProcess; rest: number; mgmt: number; grpcPort: number }> {
  const [rest, mgmt, metrics, grpcPort, grpcMgmt] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const config = join(dir, 'config.properties');
  writeFileSync(
    config,
    [
      `inference_address=http://127.0.0.1:${rest}`,
      `management_address=http://127.0.0.1:${mgmt}`,
      `metrics_address=http://127.0.0.1:${metrics}`,
      `grpc_inference_port=${grpcPort}`,
      `grpc_management_port=${grpcMgmt}`,
      'disable_token_authorization=true',
      'enable_model_api=true',
      `default_workers_per_model=${WORKERS}`,
      `model_store=${store}`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'nserve.js'), '--foreground', '--ts-config', config, '--model-store', store], {
    cwd: dir,
    // Own pid file: another nserve on this machine must not make this one refuse to start.
    env: { ...process.env, NSERVE_LOG_LEVEL: 'warn', NSERVE_PID_FILE: join(dir, 'nserve.pid') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolveStart, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Model server started.')) {
        clearTimeout(timer);
        resolveStart();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return { child, rest, mgmt, grpcPort };
}

interface Figures { requestsPerSecond: number; p50Ms: number; p99Ms: number; errors: number; total: number; firstError?: string }

async function benchRest(port: number, duration: number): Promise<Figures> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/predictions/noop`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: BODY,
    connections: CONNECTIONS,
    duration,
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
    total: result.requests.total,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function benchGrpc(port: number, duration: number, connections = CONNECTIONS): Promise<Figures> {
  const definition = protoLoader.loadSync('inference.proto', { keepCase: true, longs: String, defaults: true, oneofs: true, includeDirs: [join(ROOT, 'proto')] });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    org: { pytorch: { serve: { grpc: { inference: { InferenceAPIsService: new (a: string, c: grpc.ChannelCredentials, o?: grpc.ClientOptions) => grpc.Client } } } } };
  };
  const Ctor = pkg.org.pytorch.serve.grpc.inference.InferenceAPIsService;
  // Distinct channel options keep grpc-js from sharing one subchannel between the clients.
  const clients = Array.from({ length: CHANNELS }, (_, i) => new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.bench_channel': i }));
  const request = { model_name: 'noop', input: { data: Buffer.from(BODY) } };
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const deadline = performance.now() + duration * 1000;
  const predict = (client: grpc.Client) =>
    new Promise<void>((done) => {
      const started = performance.now();
      (client as unknown as Record<string, (r: object, cb: (e: Error | null) => void) => void>).Predictions!(request, (err) => {
        if (err) {
          errors += 1;
          firstError ??= err.message;
        }
        else latencies.push(performance.now() - started);
        done();
      });
    });
  const loop = async (client: grpc.Client) => {
    do await predict(client);
    while (performance.now() < deadline);
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, (_, i) => loop(clients[i % CHANNELS]!)));
  const elapsed = (performance.now() - started) / 1000;
  clients.forEach((c) => c.close());
  latencies.sort((a, b) => a - b);
  const figures: Figures = { requestsPerSecond: latencies.length / elapsed, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors, total: latencies.length };
  if (firstError !== undefined) figures.firstError = firstError;
  return figures;
}

/** Registers noop.mar through the management REST API and waits for its workers. */
async function registerNoop(mgmtPort: number): Promise<void> {
  const url = `http://127.0.0.1:${mgmtPort}/models?url=noop.mar&initial_workers=${WORKERS}&synchronous=true`;
  const res = await fetch(url, { method: 'POST' });
  if (res.status !== 200) throw new Error(`register noop.mar answered ${res.status}: ${await res.text()}`);
}

/** One request per protocol before measuring: a bench of error responses measures nothing. */
async function checkServes(restPort: number, grpcPort: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${restPort}/predictions/noop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`REST /predictions/noop answered ${res.status}: ${text}`);
  const figures = await benchGrpc(grpcPort, 0.01, 1);
  if (figures.errors > 0) throw new Error(`gRPC Predictions failed: ${figures.firstError}`);
}

/** bare-grpc.mjs in its own process; resolves once it printed its port. */
async function startBareGrpc(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'grpc', 'bare-grpc.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /port (\d+)/.exec(d.toString());
      if (m) res(Number(m[1]));
    });
    child.once('exit', (code) => rej(new Error(`bare-grpc.mjs exited ${code}`)));
  });
  child.removeAllListeners('exit');
  return { child, port };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'main.js'))) {
    process.stderr.write('bench:grpc needs the compiled server: run `npm run build` first\n');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'nserve-bench-grpc-'));
  let child: ChildProcess | undefined;
  let bare: ChildProcess | undefined;
  try {
    const store = buildStore(dir);
    const server = await startServer(dir, store);
    child = server.child;
    await registerNoop(server.mgmt);
    await checkServes(server.rest, server.grpcPort);
    // Warm-up: JIT, worker threads, connections.
    const baseline = await startBareGrpc();
    bare = baseline.child;
    await benchRest(server.rest, 2);
    await benchGrpc(server.grpcPort, 2);
    await benchGrpc(baseline.port, 2);
    const restFigures = await benchRest(server.rest, DURATION_S);
    const grpcFigures = await benchGrpc(server.grpcPort, DURATION_S);
    const bareFigures = await benchGrpc(baseline.port, DURATION_S);
    const rows = { 'REST /predictions': restFigures, 'gRPC Predictions': grpcFigures, 'bare grpc-js echo': bareFigures };
    const settings = { durationS: DURATION_S, connections: CONNECTIONS, workers: WORKERS, grpcChannels: CHANNELS, body: BODY, node: process.version };
    process.stdout.write(`settings: ${JSON.stringify(settings)}\n`);
    console.table(
      Object.fromEntries(
        Object.entries(rows).map(([k, f]) => [k, { 'req/s': Math.round(f.requestsPerSecond), 'p50 ms': +f.p50Ms.toFixed(2), 'p99 ms': +f.p99Ms.toFixed(2), errors: f.errors, total: f.total }]),
      ),
    );
    const ratio = grpcFigures.requestsPerSecond / bareFigures.requestsPerSecond;
    process.stdout.write(`nserve gRPC / bare grpc-js: ${ratio.toFixed(2)}; gRPC / REST: ${(grpcFigures.requestsPerSecond / restFigures.requestsPerSecond).toFixed(2)}\n`);
    const outDir = join(ROOT, 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, `grpc-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify({ settings, results: rows, grpcVsBareGrpc: ratio }, null, 2)}\n`);
    process.stdout.write(`written ${file}\n`);
  } finally {
    if (child !== undefined) await stop(child);
    if (bare !== undefined) await stop(bare);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
