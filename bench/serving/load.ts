/**
 * Load generation for bench/serving with autocannon's programmatic API: keep-alive
 * connections, one request in flight per connection (closed loop). Every response's latency is
 * kept (autocannon's own histogram has 1 ms resolution; µs matter here) so percentiles are exact.
 */
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  body: string;
  contentType?: string;
  connections: number;
  durationS: number;
}

export interface LoadResult {
  connections: number;
  durationS: number;
  requests: number;
  reqPerSec: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Microseconds, from every 2xx response. */
  latencyUs: { p50: number; p90: number; p99: number; mean: number };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const instance = autocannon({
    url: options.url,
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    body: options.body,
    connections: options.connections,
    pipelining: 1,
    duration: options.durationS,
    timeout: 30,
  });
  instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTimeMs: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTimeMs * 1000);
  });
  const result = await instance;
  const sorted = Float64Array.from(latencies).sort();
  const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
  // Count completed 2xx responses over the run's real duration (not autocannon's per-second buckets).
  return {
    connections: options.connections,
    durationS: result.duration,
    requests: result['2xx'],
    reqPerSec: result['2xx'] / result.duration,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyUs: {
      p50: round(percentile(sorted, 50)),
      p90: round(percentile(sorted, 90)),
      p99: round(percentile(sorted, 99)),
      mean: round(mean),
    },
  };
}

const round = (v: number): number => Math.round(v * 10) / 10;

/** A short untimed run so JIT, connection set-up and worker warm-up do not count. */
export async function warmUp(options: Omit<LoadOptions, 'durationS'>, seconds = 2): Promise<void> {
  const r = await runLoad({ ...options, durationS: seconds });
  if (r.requests === 0) throw new Error(`warm-up got no 2xx answers from ${options.url} (${r.non2xx} non-2xx, ${r.errors} errors)`);
}
