/**
 * Serving overhead and batching benefit of a real nserve (`node bin/nserve.js --foreground`):
 *
 * (a) the built-in `echo` no-op handler through `POST /predictions/echo` (batchSize 1,
 *     BENCH_ECHO_WORKERS workers, e.g. `1,2`; BENCH_FRONT_ENDS front-end threads for each,
 *     `number_of_netty_threads`, e.g. `0,2`, default `auto`: the server's own choice; and
 *     BENCH_MAIN_CONNECTIONS, `main_thread_connections` for each, default `auto`) against a bare
 *     fastify echo route (bare-echo.mjs, its own
 *     process), same run, same client: req/s at BENCH_CONNECTIONS keep-alive connections
 *     (goal: nserve >= 0.70 x bare) and p50 latency at 1 connection (goal: <= 100 µs added),
 *     all targets side by side, measured in BENCH_ROUNDS interleaved rounds (medians reported),
 *     client and servers on separate CPUs when the machine has >= 8 (see `cpuPinning`);
 * (b) a compute-bound ONNX model (`buildComputeModel`: BENCH_LAYERS x MatMul+Add+Tanh of width
 *     BENCH_HIDDEN, one row per request, onnxruntime on one intra-op thread) at
 *     BENCH_BATCH_CONNECTIONS connections, batchSize 8 vs batchSize 1, same worker count
 *     (goal: >= 2x the throughput).
 *
 * Prints a JSON summary and a markdown table; writes bench/results/serving-<time>.json.
 *
 *   npm run build && npm run bench:serving
 *   BENCH_PARTS=a BENCH_ROUNDS=5 npm run bench:serving      # only (a), five rounds
 *   BENCH_PARTS=a BENCH_ECHO_WORKERS=1,1 BENCH_FRONT_ENDS=0,2 npm run bench:serving   # one event loop vs two front-end threads
 *   BENCH_DURATION=10 BENCH_CONNECTIONS=32 BENCH_ECHO_WORKERS=1,2 BENCH_WORKERS=1 BENCH_HIDDEN=1024 BENCH_LAYERS=16 npm run bench:serving
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { buildComputeModel } from '../../src/tools/examples/tiny-models.js';
import { buildMar } from '../../test/helpers/build-mar.js';
import { startNserve, type NserveProcess } from '../../test/helpers/nserve-process.js';
import { runLoad, warmUp, type LoadResult } from './load.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const DURATION_S = num('BENCH_DURATION', 10);
const LATENCY_DURATION_S = num('BENCH_LATENCY_DURATION', DURATION_S);
const CONNECTIONS = num('BENCH_CONNECTIONS', 32);
/** Interleaved measurement rounds of (a); ratios are medians over rounds. */
const ROUNDS = num('BENCH_ROUNDS', 3);
const WORKERS = num('BENCH_WORKERS', 1);
/** Worker counts for (a) (default `1,2`). */
const ECHO_WORKERS = (process.env.BENCH_ECHO_WORKERS ?? '1,2').split(',').map(Number);
/** `number_of_netty_threads` per (a) server, in ECHO_WORKERS' order; `auto` leaves it unset. */
const FRONT_ENDS = ECHO_WORKERS.map((_, i) => (process.env.BENCH_FRONT_ENDS ?? '').split(',')[i] || 'auto');
/** `main_thread_connections` per (a) server (steering to front-end threads); `auto` leaves it unset. */
const MAIN_CONNECTIONS = ECHO_WORKERS.map((_, i) => (process.env.BENCH_MAIN_CONNECTIONS ?? '').split(',')[i] || 'auto');
const BATCH_CONNECTIONS = num('BENCH_BATCH_CONNECTIONS', 64);
const HIDDEN = num('BENCH_HIDDEN', 1024);
const LAYERS = num('BENCH_LAYERS', 16);
const BATCH_SIZE = num('BENCH_BATCH_SIZE', 8);
const MAX_BATCH_DELAY_MS = num('BENCH_MAX_BATCH_DELAY', 5);
const ECHO_BODY = JSON.stringify({ data: 'hello' });
/** Which parts to run (default both): `a` (echo overhead), `b` (batching benefit). */
const PARTS = (process.env.BENCH_PARTS ?? 'a,b').split(',');

const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function startBare(): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'serving', 'bare-echo.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((res, rej) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /port (\d+)/.exec(out);
      if (m) res(Number(m[1]));
    });
    child.on('exit', (code) => rej(new Error(`bare-echo exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}/predictions/echo`,
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.on('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface EchoTarget {
  name: string;
  url: string;
  pid: number;
  throughput: LoadResult[];
  latency: LoadResult[];
}

const median = (values: number[]): number => {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 === 1 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

/**
 * CPU sets when the machine has room to keep client and servers apart (>= 8 CPUs, Linux,
 * `taskset` present): the load generator (this process) on CPUs 0-1, every server on 4-7, so
 * neither the baseline nor nserve shares a core with the client, and runs do not depend on
 * where the scheduler happened to put each thread. BENCH_PIN=0 turns it off.
 */
function cpuPinning(): { client: string; servers: string } | undefined {
  if (process.env.BENCH_PIN === '0' || process.platform !== 'linux' || availableParallelism() < 8) return undefined;
  const probe = spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
  return probe.status === 0 ? { client: '0-1', servers: '4-7' } : undefined;
}

function pin(pid: number, cpus: string | undefined): void {
  if (cpus === undefined) return;
  const r = spawnSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset failed for ${pid}: ${r.stderr}`);
}

/**
 * (a) nserve echo (each worker count) vs bare fastify echo. All servers run side by side and
 * are measured in interleaved rounds (bare, nserve 1 worker, nserve 2 workers, bare, ...), so
 * a drift of the machine hits every target alike; each ratio is the median of the per-round
 * ratios (BENCH_ROUNDS, default 3).
 */
async function echoOverhead(work: string) {
  const pinning = cpuPinning();
  const bareServer = await startBare();
  const servers: NserveProcess[] = [];
  try {
    const targets: EchoTarget[] = [{ name: 'bare fastify', url: bareServer.url, pid: bareServer.pid, throughput: [], latency: [] }];
    for (const [i, workers] of ECHO_WORKERS.entries()) {
      const frontEnds = FRONT_ENDS[i]!;
      const mar = await buildMar(join(work, `echo${i}`), { name: 'echo', builtin: 'echo', config: { minWorkers: workers, maxWorkers: workers, batchSize: 1, maxBatchDelay: 100 } });
      const mainConnections = MAIN_CONNECTIONS[i]!;
      const properties: Record<string, string> = {};
      if (frontEnds !== 'auto') properties.number_of_netty_threads = frontEnds;
      if (mainConnections !== 'auto') properties.main_thread_connections = mainConnections;
      const server = await startNserve({ storeFiles: [mar], properties });
      servers.push(server);
      targets.push({ name: `nserve echo, ${workers} worker(s), front ends ${frontEnds}, main thread connections ${mainConnections}`, url: `${server.inferenceUrl}/predictions/echo`, pid: server.pid, throughput: [], latency: [] });
    }
    // Pinned only now: servers start seeing every CPU (number_of_netty_threads=0 sizes itself by them).
    pin(process.pid, pinning?.client);
    for (const t of targets) {
      pin(t.pid, pinning?.servers);
      await warmUp({ url: t.url, body: ECHO_BODY, connections: CONNECTIONS });
    }
    for (let r = 1; r <= ROUNDS; r++) {
      for (const t of targets) {
        log(`(a) round ${r}/${ROUNDS} ${t.name}: ${CONNECTIONS} connections, ${DURATION_S} s`);
        t.throughput.push(await runLoad({ url: t.url, body: ECHO_BODY, connections: CONNECTIONS, durationS: DURATION_S }));
      }
      for (const t of targets) {
        log(`(a) round ${r}/${ROUNDS} ${t.name}: 1 connection, ${LATENCY_DURATION_S} s`);
        t.latency.push(await runLoad({ url: t.url, body: ECHO_BODY, connections: 1, durationS: LATENCY_DURATION_S }));
      }
    }
    const [bare, ...nserve] = targets;
    const summary = (t: EchoTarget) => ({
      reqPerSec: round(median(t.throughput.map((x) => x.reqPerSec)), 0),
      p50Us: round(median(t.latency.map((x) => x.latencyUs.p50)), 1),
      p99Us: round(median(t.latency.map((x) => x.latencyUs.p99)), 1),
      rounds: { throughput: t.throughput, latency: t.latency },
    });
    const runs = nserve.map((t, i) => {
      const ratios = t.throughput.map((x, r) => x.reqPerSec / bare!.throughput[r]!.reqPerSec);
      const added = t.latency.map((x, r) => x.latencyUs.p50 - bare!.latency[r]!.latencyUs.p50);
      const ratio = median(ratios);
      const addedP50Us = median(added);
      return {
        workers: ECHO_WORKERS[i]!,
        frontEnds: FRONT_ENDS[i]!,
        mainThreadConnections: MAIN_CONNECTIONS[i]!,
        connections: CONNECTIONS,
        nserve: summary(t),
        reqPerSecRatio: round(ratio, 3),
        reqPerSecRatioRounds: ratios.map((x) => round(x, 3)),
        addedP50Us: round(addedP50Us, 1),
        addedP50UsRounds: added.map((x) => round(x, 1)),
        met: { reqPerSecRatio: ratio >= 0.7, addedP50Us: addedP50Us <= 100 },
      };
    });
    return { rounds: ROUNDS, pinning: pinning ?? 'none', bare: summary(bare!), runs, goals: { reqPerSecRatio: '>= 0.70', addedP50Us: '<= 100' } };
  } finally {
    for (const server of servers) await server.stop(2_000);
    await bareServer.stop();
  }
}

/** Milliseconds for one row through the model on one intra-op thread, in this process. */
async function singleRowMs(model: string, row: number[]): Promise<number> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const input = new ort.Tensor('float32', Float32Array.from(row), [1, row.length]);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    await session.run({ input });
    times.push(performance.now() - t);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return round(times[Math.floor(times.length / 2)]!, 3);
}

/** (b) batchSize 8 vs 1 on the compute-bound model. */
async function batchingBenefit(work: string) {
  const dir = join(work, 'compute');
  mkdirSync(dir, { recursive: true });
  const model = buildComputeModel(dir, { hidden: HIDDEN, layers: LAYERS });
  const row = Array.from({ length: HIDDEN }, (_, i) => ((i % 17) - 8) / 8);
  const body = JSON.stringify({ input: [row] });
  const oneRowMs = await singleRowMs(model, row);
  log(`(b) one row takes ${oneRowMs} ms in onnxruntime (hidden ${HIDDEN}, ${LAYERS} layers)`);
  const runs: Record<string, LoadResult> = {};
  for (const batchSize of [1, BATCH_SIZE]) {
    const mar = await buildMar(join(dir, `b${batchSize}`), {
      name: 'compute',
      builtin: 'onnx',
      serializedFile: model,
      config: { minWorkers: WORKERS, maxWorkers: WORKERS, batchSize, maxBatchDelay: MAX_BATCH_DELAY_MS, handler: { intraOpNumThreads: 1, interOpNumThreads: 1 } },
    });
    const server: NserveProcess = await startNserve({ storeFiles: [mar] });
    try {
      const url = `${server.inferenceUrl}/predictions/compute`;
      await warmUp({ url, body, connections: BATCH_CONNECTIONS });
      log(`(b) batchSize ${batchSize}: ${BATCH_CONNECTIONS} connections, ${DURATION_S} s`);
      runs[`batch${batchSize}`] = await runLoad({ url, body, connections: BATCH_CONNECTIONS, durationS: DURATION_S });
    } finally {
      await server.stop(2_000);
    }
  }
  const ratio = runs[`batch${BATCH_SIZE}`]!.reqPerSec / runs.batch1!.reqPerSec;
  return {
    model: { hidden: HIDDEN, layers: LAYERS, mflopPerRow: round((2 * HIDDEN * HIDDEN * LAYERS) / 1e6, 1), oneRowMs },
    workers: WORKERS,
    connections: BATCH_CONNECTIONS,
    maxBatchDelayMs: MAX_BATCH_DELAY_MS,
    runs,
    throughputRatio: round(ratio, 2),
    goal: '>= 2',
    met: ratio >= 2,
  };
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

function table(echo: Awaited<ReturnType<typeof echoOverhead>> | undefined, batching: Awaited<ReturnType<typeof batchingBenefit>> | undefined): string {
  const rows = ['| measurement | baseline | nserve | result | goal |', '|---|---|---|---|---|'];
  for (const r of echo?.runs ?? []) {
    const bare = echo!.bare;
    const setup = `${r.workers} worker(s), front ends ${r.frontEnds}, main thread connections ${r.mainThreadConnections}`;
    rows.push(
      `| (a) echo req/s, ${CONNECTIONS} conns, ${setup}, median of ${echo!.rounds} | bare fastify ${bare.reqPerSec} | ${r.nserve.reqPerSec} | ratio ${r.reqPerSecRatio} (rounds ${r.reqPerSecRatioRounds.join(', ')}) | >= 0.70: ${r.met.reqPerSecRatio ? 'met' : 'NOT met'} |`,
      `| (a) echo p50 (p99) latency, 1 conn, ${setup} | bare fastify ${bare.p50Us} (${bare.p99Us}) µs | ${r.nserve.p50Us} (${r.nserve.p99Us}) µs | +${r.addedP50Us} µs p50 (rounds ${r.addedP50UsRounds.join(', ')}) | <= 100 µs: ${r.met.addedP50Us ? 'met' : 'NOT met'} |`,
    );
  }
  if (batching === undefined) return rows.join('\n');
  const b = batching.runs;
  const big = b[`batch${BATCH_SIZE}`]!;
  rows.push(
    `| (b) compute req/s, ${batching.connections} conns, ${batching.workers} worker(s), ${batching.model.oneRowMs} ms/row | batchSize 1: ${b.batch1!.reqPerSec.toFixed(0)} | batchSize ${BATCH_SIZE}: ${big.reqPerSec.toFixed(0)} | ${batching.throughputRatio}x | >= 2x: ${batching.met ? 'met' : 'NOT met'} |`,
    `| (b) compute p50 latency, ${batching.connections} conns | batchSize 1: ${(b.batch1!.latencyUs.p50 / 1000).toFixed(1)} ms | batchSize ${BATCH_SIZE}: ${(big.latencyUs.p50 / 1000).toFixed(1)} ms | | |`,
  );
  return rows.join('\n');
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'nserve-bench-serving-'));
  const machine = { cpus: availableParallelism(), cpuModel: cpus()[0]?.model ?? 'unknown', loadavgAtStart: loadavg().map((v) => round(v, 2)), node: process.version };
  try {
    const echo = PARTS.includes('a') ? await echoOverhead(work) : undefined;
    const batching = PARTS.includes('b') ? await batchingBenefit(work) : undefined;
    const summary = { date: new Date().toISOString(), machine: { ...machine, loadavgAtEnd: loadavg().map((v) => round(v, 2)) }, durationS: DURATION_S, echo, batching };
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `serving-${summary.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(summary, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n\n${table(echo, batching)}\n\nwritten to ${file}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
