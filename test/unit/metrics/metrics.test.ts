import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics, type ServerMetrics } from '../../../src/metrics/metrics.js';
import { parsePrometheusText, sampleValue } from './prom-text-parser.js';

let metrics: ServerMetrics | undefined;
afterEach(() => { metrics?.close(); metrics = undefined; });

const NOW = 1_700_000_000_123;
function make(mode: 'log' | 'prometheus' | 'legacy', lines: string[] = []): ServerMetrics {
  metrics = createMetrics({ mode, hostname: 'host-1', log: (l) => lines.push(l), systemMetrics: false, now: () => NOW });
  return metrics;
}

describe('createMetrics: prometheus mode', () => {
  it('matches TorchServe\'s Postman regex for Requests2XX and its HELP text', async () => {
    const m = make('prometheus');
    m.response(200);
    m.response(201);
    m.response(404);
    m.response(503);
    m.response(302); // TorchServe counts everything else as 5XX
    const text = await m.exposition();
    expect(text).toMatch(/Requests2XX\{Level="Host",Hostname=".*",\} \d+\.\d+/);
    expect(text).toContain('Requests2XX{Level="Host",Hostname="host-1",} 2.0\n');
    expect(text).toContain('Requests4XX{Level="Host",Hostname="host-1",} 1.0\n');
    expect(text).toContain('Requests5XX{Level="Host",Hostname="host-1",} 2.0\n');
    expect(text).toContain('# HELP Requests2XX Torchserve prometheus counter metric with unit: Count\n# TYPE Requests2XX counter\n');
  });

  it('records the model counters, gauges and latency histograms with TorchServe\'s labels', async () => {
    const m = make('prometheus');
    const model = m.forModel('mnist', 'default');
    expect(m.forModel('mnist', 'default')).toBe(model);
    model.request();
    model.request();
    model.queued(1500);
    model.completed(2_500_000);
    model.completed(12_000);
    model.handlerTime(7);
    model.workerThreadTime(3);
    model.workerLoaded('W-9000-mnist_1.0', 1234);
    const families = parsePrometheusText(await m.exposition());
    const labels = { model_name: 'mnist', model_version: 'default', hostname: 'host-1' };
    expect(sampleValue(families, 'ts_inference_requests_total', labels)).toBe(2);
    expect(sampleValue(families, 'ts_inference_latency_microseconds', labels)).toBe(2_512_000);
    expect(sampleValue(families, 'ts_queue_latency_microseconds', labels)).toBe(1500);
    expect(sampleValue(families, 'QueueTime', { Level: 'Host' })).toBe(2);
    expect(sampleValue(families, 'HandlerTime', { ModelName: 'mnist', Level: 'Model' })).toBe(7);
    expect(sampleValue(families, 'PredictionTime', { ModelName: 'mnist' })).toBe(7);
    expect(sampleValue(families, 'WorkerThreadTime')).toBe(3);
    expect(sampleValue(families, 'WorkerLoadTime', { WorkerName: 'W-9000-mnist_1.0', Level: 'Host' })).toBe(1234);
    const hist = { model_name: 'mnist', model_version: 'default' };
    expect(sampleValue(families, 'nserve_inference_latency_seconds', hist, 'nserve_inference_latency_seconds_count')).toBe(2);
    expect(sampleValue(families, 'nserve_inference_latency_seconds', { ...hist, le: '0.025' }, 'nserve_inference_latency_seconds_bucket')).toBe(1);
    expect(sampleValue(families, 'nserve_inference_latency_seconds', { ...hist, le: '1.0' }, 'nserve_inference_latency_seconds_bucket')).toBe(1);
    expect(sampleValue(families, 'nserve_inference_latency_seconds', { ...hist, le: '2.5' }, 'nserve_inference_latency_seconds_bucket')).toBe(2); // le is inclusive
    expect(sampleValue(families, 'nserve_inference_latency_seconds', { ...hist, le: '5.0' }, 'nserve_inference_latency_seconds_bucket')).toBe(2);
    expect(families.get('nserve_inference_latency_seconds')?.type).toBe('histogram');
    expect(families.get('ts_inference_latency_microseconds')?.type).toBe('counter');
  });

  it('counters keep counting across scrapes and gauges show their last value, label sets in order of first use', async () => {
    const m = make('prometheus');
    const b = m.forModel('b', '1.0');
    const a = m.forModel('a', '1.0');
    a.request();
    b.request();
    a.handlerTime(5);
    const first = await m.exposition();
    expect(first.indexOf('ts_inference_requests_total{model_name="a"')).toBeLessThan(first.indexOf('ts_inference_requests_total{model_name="b"'));
    a.request();
    a.request();
    a.handlerTime(9);
    a.handlerTime(4);
    const second = await m.exposition();
    expect(second).toContain('ts_inference_requests_total{model_name="a",model_version="1.0",hostname="host-1",} 3.0\n');
    expect(second).toContain('ts_inference_requests_total{model_name="b",model_version="1.0",hostname="host-1",} 1.0\n');
    expect(second).toContain('HandlerTime{ModelName="a",Level="Model",Hostname="host-1",} 4.0\n');
    expect(await m.exposition()).toBe(second); // a scrape changes nothing
  });

  it('a zero increment shows the label set at 0, and values prom-client would refuse are ignored, not thrown', async () => {
    const m = make('prometheus');
    const model = m.forModel('z', '1.0');
    model.queued(0);
    model.completed(Number.NaN);
    model.completed(-5);
    model.handlerTime(Number.POSITIVE_INFINITY);
    const text = await m.exposition();
    expect(text).toContain('ts_queue_latency_microseconds{model_name="z",model_version="1.0",hostname="host-1",} 0.0\n');
    expect(text).not.toContain('ts_inference_latency_microseconds{model_name="z"');
    expect(text).not.toContain('HandlerTime{ModelName="z"');
  });

  it('prints HELP and TYPE for families without samples, and filters by name[]', async () => {
    const m = make('prometheus');
    const all = parsePrometheusText(await m.exposition());
    expect(all.get('Requests4XX')?.samples).toEqual([]);
    expect(all.has('CPUUtilization')).toBe(true);
    const some = parsePrometheusText(await m.exposition(['Requests2XX', 'QueueTime']));
    expect([...some.keys()]).toEqual(['Requests2XX', 'QueueTime']);
  });

  it('exports handler metrics as gauges with ModelName, Level and Hostname appended', async () => {
    const m = make('prometheus');
    m.forModel('sdxl', '1.0').custom('StepTime', 42.5, 'ms', { Stage: 'unet' });
    m.forModel('sdxl', '1.0').custom('bad name!', 1, 'ms', {});
    const families = parsePrometheusText(await m.exposition());
    expect(families.get('StepTime')?.samples).toEqual([
      { name: 'StepTime', labels: { Stage: 'unet', ModelName: 'sdxl', Level: 'Model', Hostname: 'host-1' }, value: 42.5 },
    ]);
    expect(families.get('StepTime')?.help).toBe('Torchserve prometheus gauge metric with unit: ms');
  });

  it('samples system metrics', async () => {
    metrics = createMetrics({ mode: 'prometheus', hostname: 'h', systemMetrics: false });
    await metrics.collectSystemMetrics();
    const families = parsePrometheusText(await metrics.exposition());
    expect(sampleValue(families, 'MemoryUsed', { Level: 'Host', Hostname: 'h' })).toBeGreaterThan(0);
    expect(sampleValue(families, 'MemoryUtilization')).toBeLessThanOrEqual(100);
    expect(sampleValue(families, 'DiskAvailable')).toBeGreaterThan(0);
    expect(sampleValue(families, 'CPUUtilization')).toBeGreaterThanOrEqual(0);
  });
});

describe('createMetrics: log and legacy modes', () => {
  it('log: /metrics is empty and every update is a TorchServe metric log line', async () => {
    const lines: string[] = [];
    const m = make('log', lines);
    m.response(200);
    m.forModel('mnist', 'default').request();
    m.forModel('mnist', 'default').completed(1234.5);
    m.forModel('mnist', 'default').queued(20_000_000);
    expect(await m.exposition()).toBe('');
    expect(lines).toEqual([
      'Requests2XX.Count:1.0|#Level:Host|#hostname:host-1,timestamp:1700000000',
      'ts_inference_requests_total.Count:1.0|#model_name:mnist,model_version:default|#hostname:host-1,timestamp:1700000000',
      'ts_inference_latency_microseconds.Microseconds:1234.5|#model_name:mnist,model_version:default|#hostname:host-1,timestamp:1700000000',
      'ts_queue_latency_microseconds.Microseconds:2.0E7|#model_name:mnist,model_version:default|#hostname:host-1,timestamp:1700000000',
      'QueueTime.Milliseconds:20000.0|#Level:Host|#hostname:host-1,timestamp:1700000000',
    ]);
  });

  it('legacy: only the three ts_* counters (and nserve histograms) are Prometheus; the rest is logged', async () => {
    const lines: string[] = [];
    const m = make('legacy', lines);
    m.response(500);
    m.forModel('mnist', '2.0').request();
    const families = parsePrometheusText(await m.exposition());
    expect([...families.keys()].sort()).toEqual([
      'nserve_handler_latency_seconds', 'nserve_inference_latency_seconds', 'nserve_queue_latency_seconds',
      'ts_inference_latency_microseconds', 'ts_inference_requests_total', 'ts_queue_latency_microseconds',
    ]);
    expect(sampleValue(families, 'ts_inference_requests_total', { model_version: '2.0' })).toBe(1);
    expect(lines).toEqual(['Requests5XX.Count:1.0|#Level:Host|#hostname:host-1,timestamp:1700000000']);
  });
});
