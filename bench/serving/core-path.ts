/**
 * Main-thread CPU per request of nserve's serving core alone (no HTTP): `InferenceApi.predict`
 * on the built-in `echo` handler (batchSize 1, one worker thread), BENCH_CONCURRENCY closed-loop
 * callers, BENCH_REQUESTS requests per round. CPU per thread from /proc (Linux only). Isolates
 * the queue -> worker -> result path from the network and the load generator.
 *
 *   npm run build && tsx bench/serving/core-path.ts
 */
import { readdirSync, readFileSync } from 'node:fs';
import { makeCore } from '../../test/integration/core/core-harness.js';
import type { InferenceRequest } from '../../src/inference/types.js';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 200_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const TICK_US = 1e6 / 100;

function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const name = tid === String(process.pid) ? 'main' : readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) * TICK_US);
  }
  return out;
}

const h = await makeCore();
await h.addModel('echo', { handler: 'echo', config: 'minWorkers: 1\nmaxWorkers: 1\nbatchSize: 1\n' });
await h.core.management.register({ url: 'echo', synchronous: true, initial_workers: 1 } as never);
const body = new TextEncoder().encode(JSON.stringify({ data: 'hello' }));
let n = 0;
const request = (): InferenceRequest => ({
  requestId: `r${n++}`,
  headers: { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': String(body.length), url_path: '', explain: 'False' },
  parameters: [{ name: 'body', contentType: 'application/json', value: body }],
});
async function round(count: number): Promise<void> {
  let left = count;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (left-- > 0) await h.core.inference.predict('echo', undefined, request());
  }));
}
await round(20_000);
const results: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const before = threadCpu();
  const t = performance.now();
  await round(REQUESTS);
  const wall = performance.now() - t;
  const after = threadCpu();
  const per = [...after].map(([k, v]) => [k, (v - (before.get(k) ?? 0)) / REQUESTS] as const).filter(([, v]) => v >= 0.5);
  results.push(per.find(([k]) => k === 'main')![1]);
  console.log(`${(REQUESTS / wall * 1000).toFixed(0)} req/s  ${per.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} µs/req`);
}
results.sort((a, b) => a - b);
console.log(`median main ${results[Math.floor(results.length / 2)]!.toFixed(1)} µs/req`);
await h.close();
