/**
 * /metrics cost with many models: 50 models (one version each) with traffic recorded on every
 * family (counters, gauges, three latency histograms of 17 buckets), system metrics on, then
 * the exposition serialised repeatedly. Prints the body size and per-scrape latency
 * (median / p95 / max). Run: `npx tsx bench/metrics/run.ts [models] [scrapes]`.
 */
import { createMetrics } from '../../src/metrics/metrics.js';

const models = Number(process.argv[2] ?? 50);
const scrapes = Number(process.argv[3] ?? 200);

const metrics = createMetrics({ mode: 'prometheus', hostname: 'bench-host', systemMetrics: false });
await metrics.collectSystemMetrics();
for (let i = 0; i < models; i++) {
  const m = metrics.forModel(`model_${i}`, '1.0');
  for (let r = 0; r < 100; r++) {
    m.request();
    m.queued(100 + r * 37);
    m.handlerTime(3 + (r % 50));
    m.completed(1000 + r * 5000);
    metrics.response(r % 10 === 0 ? 503 : 200);
  }
  m.workerLoaded(`W-${9000 + i}-model_${i}_1.0`, 250);
  m.custom('StepTime', 12.5, 'ms', { Stage: 'unet' });
}

const warm = await metrics.exposition();
for (let i = 0; i < 20; i++) await metrics.exposition();
const times: number[] = [];
for (let i = 0; i < scrapes; i++) {
  const start = performance.now();
  await metrics.exposition();
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2);
console.log(`models=${models} lines=${warm.split('\n').length - 1} bytes=${Buffer.byteLength(warm)}`);
console.log(`exposition ms: median=${at(0.5)} p95=${at(0.95)} max=${times.at(-1)!.toFixed(2)} (n=${scrapes})`);
metrics.close();
