/**
 * CPU time per request of the server process (not req/s, which a busy machine distorts): the
 * same echo targets as run.ts (bare fastify echo route vs nserve's built-in `echo` through
 * `POST /predictions/echo`, batchSize 1), a fixed number of requests at BENCH_CONNECTIONS
 * keep-alive connections, CPU read per thread from /proc/<pid>/task/<tid>/stat (Linux only).
 * The main (event loop) thread is the one that matters: the worker thread mostly idles.
 *
 * BENCH_FRONT_ENDS=2 sets `number_of_netty_threads` (front-end threads; their CPU is listed per thread).
 *
 *   npm run build && BENCH_REQUESTS=20000 tsx bench/serving/cpu.ts
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { buildMar } from '../../test/helpers/build-mar.js';
import { startNserve } from '../../test/helpers/nserve-process.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGETS = (process.env.BENCH_TARGETS ?? 'bare,nserve').split(',');
const BODY = JSON.stringify({ data: 'hello' });
const TICK_US = 1e6 / 100; // USER_HZ

/** CPU µs per thread name (main thread = "main"). */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const us = (Number(fields[11]) + Number(fields[12])) * TICK_US;
    const name = tid === String(pid) ? 'main' : `${readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim()}#${tid}`;
    out.set(name, (out.get(name) ?? 0) + us);
  }
  return out;
}

async function load(url: string, amount: number, connections = CONNECTIONS): Promise<number> {
  const r = await autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY, connections, pipelining: 1, amount, timeout: 30 } as never);
  const res = r as unknown as { '2xx': number; non2xx: number; errors: number };
  if (res.non2xx > 0 || res.errors > 0) throw new Error(`${url}: ${res.non2xx} non-2xx, ${res.errors} errors`);
  return res['2xx'];
}

async function measure(name: string, pid: number, url: string): Promise<void> {
  await load(url, Math.min(REQUESTS, 5_000)); // warm-up (JIT)
  for (let round = 0; round < ROUNDS; round++) {
    const before = threadCpu(pid);
    const t = performance.now();
    const n = await load(url, REQUESTS);
    const wall = (performance.now() - t) / 1000;
    const after = threadCpu(pid);
    const per: string[] = [];
    let total = 0;
    for (const [thread, us] of after) {
      const d = us - (before.get(thread) ?? 0);
      total += d;
      if (d / n >= 1) per.push(`${thread} ${(d / n).toFixed(1)}`);
    }
    process.stdout.write(`${name}: ${n} req, ${(n / wall).toFixed(0)} req/s, CPU µs/req total ${(total / n).toFixed(1)} [${per.join(', ')}]\n`);
  }
}

const work = mkdtempSync(join(tmpdir(), 'nserve-bench-cpu-'));
try {
  if (TARGETS.includes('bare')) {
    const child = spawn(process.execPath, [join(ROOT, 'bench', 'serving', 'bare-echo.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((res) => child.stdout.on('data', (d: Buffer) => { const m = /port (\d+)/.exec(d.toString()); if (m) res(Number(m[1])); }));
    try {
      await measure('bare fastify', child.pid!, `http://127.0.0.1:${port}/predictions/echo`);
    } finally {
      child.kill('SIGTERM');
    }
  }
  if (TARGETS.includes('nserve')) {
    const mar = await buildMar(join(work, 'echo'), { name: 'echo', builtin: 'echo', config: { minWorkers: 1, maxWorkers: 1, batchSize: 1, maxBatchDelay: 100 } });
    const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
    // BENCH_METRICS_MODE=prometheus: as KServe runs TorchServe (default: TorchServe's `log`).
    const metricsMode = process.env.BENCH_METRICS_MODE;
    const frontEnds = process.env.BENCH_FRONT_ENDS;
    const properties = { ...(metricsMode === undefined ? {} : { metrics_mode: metricsMode }), ...(frontEnds === undefined ? {} : { number_of_netty_threads: frontEnds }) };
    const server = await startNserve({ storeFiles: [mar], nodeArgs, properties });
    try {
      await measure('nserve echo', server.pid, `${server.inferenceUrl}/predictions/echo`);
    } finally {
      await server.stop(2_000);
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
