import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { InferenceApi } from '../../../src/inference/inference-api.js';
import { createMetrics, type ServerMetrics } from '../../../src/metrics/metrics.js';
import { createHttpApp } from '../../../src/protocols/http/http-app.js';
import { kserveV1Routes } from '../../../src/protocols/kserve-v1/routes.js';
import { metricsRoutes } from '../../../src/protocols/metrics/routes.js';
import { fakeInference, jsonResult } from '../kserve/fake-inference.js';
import { parsePrometheusText, sampleValue } from '../../unit/metrics/prom-text-parser.js';

const apps: FastifyInstance[] = [];
let metrics: ServerMetrics | undefined;
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  metrics?.close();
});

/** An InferenceApi that records what the serving core records, around the fake. */
function instrumented(m: ServerMetrics): InferenceApi {
  const inner = fakeInference([{ name: 'mnist', handler: () => jsonResult(1) }]);
  return {
    ...inner,
    async predict(model, version, request, options) {
      const rec = m.forModel(model, version ?? 'default');
      const start = performance.now();
      rec.request();
      const result = await inner.predict(model, version, request, options);
      rec.queued(500);
      rec.completed((performance.now() - start) * 1000);
      return result;
    },
  };
}

async function listen(app: FastifyInstance): Promise<string> {
  apps.push(app);
  return app.listen({ host: '127.0.0.1', port: 0 });
}

describe('/metrics over a real socket', () => {
  it('exposes counters and histograms that move with traffic, parseable by a strict parser', async () => {
    metrics = createMetrics({ mode: 'prometheus', hostname: 'test-host', systemMetrics: true, systemMetricsIntervalMs: 60_000 });
    const inference = instrumented(metrics);
    const api = await listen(await createHttpApp({
      groups: ['inference'], plugins: { inference: [kserveV1Routes({ inference })] }, maxRequestSize: 1_000_000,
      onResponseStatus: (status) => metrics!.response(status),
    }));
    const scrapeUrl = await listen(await createHttpApp({ groups: ['metrics'], plugins: { metrics: [metricsRoutes({ metrics })] }, maxRequestSize: 1_000_000 }));

    const before = parsePrometheusText(await (await fetch(`${scrapeUrl}/metrics`)).text());
    expect(sampleValue(before, 'Requests2XX')).toBeUndefined();

    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${api}/v1/models/mnist:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"instances":[[1],[2]]}' });
      expect(await res.json()).toEqual({ predictions: [1, 1] });
    }
    expect((await fetch(`${api}/v1/models/nope:predict`, { method: 'POST', body: '{"instances":[1]}' })).status).toBe(404);

    const res = await fetch(`${scrapeUrl}/metrics`);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const after = parsePrometheusText(text);
    expect(text).toMatch(/Requests2XX\{Level="Host",Hostname="test-host",\} 3\.0/);
    expect(sampleValue(after, 'Requests4XX')).toBe(1);
    const labels = { model_name: 'mnist', model_version: 'default', hostname: 'test-host' };
    expect(sampleValue(after, 'ts_inference_requests_total', labels)).toBe(6);
    expect(sampleValue(after, 'ts_queue_latency_microseconds', labels)).toBe(3000);
    expect(sampleValue(after, 'ts_inference_latency_microseconds', labels)).toBeGreaterThan(0);
    expect(sampleValue(after, 'nserve_inference_latency_seconds', { model_name: 'mnist' }, 'nserve_inference_latency_seconds_count')).toBe(6);
    expect(sampleValue(after, 'MemoryAvailable', { Hostname: 'test-host' })).toBeGreaterThan(0);

    const filtered = await (await fetch(`${scrapeUrl}/metrics?name[]=Requests2XX&name[]=ts_inference_requests_total`)).text();
    expect([...parsePrometheusText(filtered).keys()]).toEqual(['Requests2XX', 'ts_inference_requests_total']);
  });

  it('answers 200 with an empty body in log mode', async () => {
    metrics = createMetrics({ mode: 'log', hostname: 'h', systemMetrics: false });
    const url = await listen(await createHttpApp({ groups: ['metrics'], plugins: { metrics: [metricsRoutes({ metrics })] }, maxRequestSize: 1000 }));
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });
});
