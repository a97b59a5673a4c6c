/**
 * Runs `front-end-sketch.mjs` (the hand-off design in ARCHITECTURE.md, "Several inference event
 * loops") with 1..N front-end threads, and its Node 20 variant `front-end-process-sketch.mjs`
 * with 1..N front-end processes (BENCH_SKETCH_PROCESSES, default none), beside bare fastify
 * (bare-echo.mjs), in interleaved rounds,
 * like bench (a): req/s at BENCH_CONNECTIONS connections and p50 at one connection, client on
 * CPUs 0-1 and servers on 4-7 when the machine has >= 8 CPUs. A design measurement, not nserve.
 *
 *   BENCH_SKETCH_THREADS=1,2,3 BENCH_SKETCH_PROCESSES=2,3 BENCH_ROUNDS=3 npm run bench:serving-sketch
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, warmUp, type LoadResult } from './load.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const DURATION_S = num('BENCH_DURATION', 5);
const LATENCY_DURATION_S = num('BENCH_LATENCY_DURATION', 2);
const CONNECTIONS = num('BENCH_CONNECTIONS', 32);
const ROUNDS = num('BENCH_ROUNDS', 3);
const list = (value: string | undefined): number[] => (value ?? '').split(',').filter(Boolean).map(Number);
const THREADS = list(process.env.BENCH_SKETCH_THREADS ?? '1,2,3');
const PROCESSES = list(process.env.BENCH_SKETCH_PROCESSES);
const BODY = JSON.stringify({ data: 'hello' });
const pinned = process.platform === 'linux' && availableParallelism() >= 8 && spawnSync('taskset', ['-c', '-p', String(process.pid)]).status === 0;
const pin = (pid: number, cpus: string) => {
  if (pinned) spawnSync('taskset', ['-a', '-c', '-p', cpus, String(pid)]);
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function start(script: string, args: string[] = []): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bench', 'serving', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => {
      const m = /port (\d+)/.exec(d.toString());
      if (m) res(Number(m[1]));
    });
    child.on('exit', (code) => rej(new Error(`${script} exited ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}/predictions/echo` };
}

pin(process.pid, '0-1');
const targets = [{ name: 'bare fastify', ...(await start('bare-echo.mjs')) }];
for (const n of THREADS) targets.push({ name: `sketch, ${n} front-end thread(s)`, ...(await start('front-end-sketch.mjs', [String(n)])) });
for (const n of PROCESSES) targets.push({ name: `sketch, ${n} front-end process(es)`, ...(await start('front-end-process-sketch.mjs', [String(n)])) });
const results = targets.map(() => ({ rps: [] as number[], p50: [] as number[] }));
try {
  for (const t of targets) {
    pin(t.child.pid!, '4-7');
    await warmUp({ url: t.url, body: BODY, connections: CONNECTIONS });
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, t] of targets.entries()) results[i]!.rps.push((await runLoad({ url: t.url, body: BODY, connections: CONNECTIONS, durationS: DURATION_S })).reqPerSec);
    for (const [i, t] of targets.entries()) {
      const one: LoadResult = await runLoad({ url: t.url, body: BODY, connections: 1, durationS: LATENCY_DURATION_S });
      results[i]!.p50.push(one.latencyUs.p50);
    }
  }
  const bare = results[0]!;
  for (const [i, t] of targets.entries()) {
    const ratios = results[i]!.rps.map((x, r) => x / bare.rps[r]!);
    const added = results[i]!.p50.map((x, r) => x - bare.p50[r]!);
    process.stdout.write(`${t.name}: ${Math.round(median(results[i]!.rps))} req/s, ratio ${median(ratios).toFixed(3)} (rounds ${ratios.map((x) => x.toFixed(2)).join(', ')}), p50 ${median(results[i]!.p50).toFixed(1)} µs (+${median(added).toFixed(1)})\n`);
  }
} finally {
  for (const t of targets) t.child.kill('SIGTERM');
}
