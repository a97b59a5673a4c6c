import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/protocols/http/http-app.js';
import { vertexRoutes } from '../../../src/protocols/vertex/routes.js';
import { vertexSettings } from '../../../src/protocols/vertex/settings.js';
import { bodyOf, fakeInference, jsonResult, type FakeModel } from '../kserve/fake-inference.js';

const settings = vertexSettings({ AIP_MODE: 'PREDICTION', AIP_ENDPOINT_ID: '77', AIP_DEPLOYED_MODEL_ID: '88' })!;
const HEALTH = '/v1/endpoints/77/deployedModels/88';
const PREDICT = '/v1/endpoints/77/deployedModels/88:predict';

const iris = (ready = true): FakeModel => ({
  name: 'iris',
  ready,
  handler: (req) => {
    const params = req.parameters.find((p) => p.name === 'parameters');
    const scale = params === undefined ? 1 : (JSON.parse(Buffer.from(params.value).toString()) as { scale: number }).scale;
    return jsonResult((bodyOf(req) as number[]).reduce((a, b) => a + b, 0) * scale);
  },
});

let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; });

async function serve(models: FakeModel[], model?: string) {
  const inference = fakeInference(models);
  app = await createHttpApp({ groups: ['inference'], plugins: { inference: [vertexRoutes({ inference, settings, ...(model ? { model } : {}) })] }, maxRequestSize: 1_500_000 });
  return { app, inference };
}

describe('Vertex AI routes', () => {
  it('predicts {"instances","parameters"} -> {"predictions"}, one per instance, batched together', async () => {
    const { app: a, inference } = await serve([iris()]);
    const res = await a.inject({ method: 'POST', url: PREDICT, payload: { instances: [[1, 2], [3, 4], [5, 6]], parameters: { scale: 10 } } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json()).toEqual({ predictions: [30, 70, 110] });
    expect(inference.batches).toEqual([3]);
  });

  it('health is 200 only when the served model is ready', async () => {
    expect((await (await serve([iris()])).app.inject(HEALTH)).statusCode).toBe(200);
    await app!.close();
    const notReady = await (await serve([iris(false)])).app.inject(HEALTH);
    expect([notReady.statusCode, notReady.json()]).toEqual([503, { error: 'Model with name iris is not ready.' }]);
  });

  it('is unhealthy with no model, and needs a configured model when several are registered', async () => {
    expect((await (await serve([])).app.inject(HEALTH)).statusCode).toBe(503);
    await app!.close();
    const two = await serve([iris(), { ...iris(), name: 'other' }]);
    const res = await two.app.inject({ method: 'POST', url: PREDICT, payload: { instances: [[1]] } });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatch(/Several models are registered \(iris, other\)/);
    await app!.close();
    const chosen = await serve([iris(), { ...iris(), name: 'other', handler: () => jsonResult('other') }], 'other');
    expect((await chosen.app.inject({ method: 'POST', url: PREDICT, payload: { instances: [[1]] } })).json()).toEqual({ predictions: ['other'] });
  });

  it('answers 400 {"error"} when instances is missing', async () => {
    const { app: a } = await serve([iris()]);
    const res = await a.inject({ method: 'POST', url: PREDICT, payload: { rows: [] } });
    expect([res.statusCode, res.json()]).toEqual([400, { error: 'Expected "instances" to be a list' }]);
  });
});
