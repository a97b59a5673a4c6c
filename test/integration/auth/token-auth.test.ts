import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenAuth, type TokenAuth } from '../../../src/auth/token-auth.js';
import type { ManagementApi } from '../../../src/management/management-api.js';
import { createMetrics } from '../../../src/metrics/metrics.js';
import { createAuthHook } from '../../../src/protocols/http/auth-hook.js';
import { createHttpApp } from '../../../src/protocols/http/http-app.js';
import { tokenRoutes } from '../../../src/protocols/http/token-routes.js';
import { kserveV1Routes } from '../../../src/protocols/kserve-v1/routes.js';
import { kserveV2Routes } from '../../../src/protocols/kserve-v2/routes.js';
import { metricsRoutes } from '../../../src/protocols/metrics/routes.js';
import { torchServeInferenceRoutes } from '../../../src/protocols/torchserve/inference-routes.js';
import { torchServeManagementRoutes } from '../../../src/protocols/torchserve/management-routes.js';
import { vertexRoutes } from '../../../src/protocols/vertex/routes.js';
import { fakeInference, jsonResult } from '../kserve/fake-inference.js';

const VERTEX = { healthRoute: '/vertex/health', predictRoute: '/vertex/predict' };
const management = {
  list: () => ({ models: [{ modelName: 'mnist', modelUrl: 'mnist.mar' }] }),
} as unknown as ManagementApi;

let dir: string;
let clock = Date.now();
let auth: TokenAuth;
let inferenceApp: FastifyInstance;
let managementApp: FastifyInstance;
let metricsApp: FastifyInstance;
const v2Body = JSON.stringify({ inputs: [{ name: 'x', shape: [1], datatype: 'INT32', data: [1] }] });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nserve-auth-it-'));
  auth = createTokenAuth({ enabled: true, keyFile: join(dir, 'key_file.json'), expirationMin: 60, now: () => clock });
  await auth.start();
  const inference = fakeInference([{ name: 'mnist', handler: () => jsonResult(2) }]);
  inferenceApp = await createHttpApp({
    groups: ['inference'],
    plugins: {
      inference: [
        torchServeInferenceRoutes({ inference }), kserveV1Routes({ inference }), kserveV2Routes({ inference }),
        vertexRoutes({ inference, settings: VERTEX }),
      ],
    },
    hooks: { inference: [createAuthHook(auth, 'inference', { exemptPaths: [VERTEX.healthRoute] })] },
    apiDescription: () => ({ openapi: '3.0.1' }),
    maxRequestSize: 1_000_000,
  });
  managementApp = await createHttpApp({
    groups: ['management'],
    plugins: { management: [torchServeManagementRoutes({ management, enableModelApi: false }), tokenRoutes({ auth })] },
    hooks: { management: [createAuthHook(auth, 'management')] },
    maxRequestSize: 1_000_000,
  });
  const metrics = createMetrics({ mode: 'prometheus', hostname: 'h', systemMetrics: false });
  metricsApp = await createHttpApp({ groups: ['metrics'], plugins: { metrics: [metricsRoutes({ metrics })] }, maxRequestSize: 1000 });
});

afterAll(async () => {
  await Promise.all([inferenceApp.close(), managementApp.close(), metricsApp.close()]);
  await rm(dir, { recursive: true, force: true });
});

type Call = [app: () => FastifyInstance, method: 'GET' | 'POST', url: string, body?: string];
const inferenceCalls: Call[] = [
  [() => inferenceApp, 'POST', '/predictions/mnist', '{"data":1}'],
  [() => inferenceApp, 'POST', '/explanations/mnist', '{"data":1}'],
  [() => inferenceApp, 'POST', '/v1/models/mnist:predict', '{"instances":[1]}'],
  [() => inferenceApp, 'GET', '/v1/models'],
  [() => inferenceApp, 'POST', '/v2/models/mnist/infer', v2Body],
  [() => inferenceApp, 'GET', '/v2/models/mnist'],
  [() => inferenceApp, 'GET', '/v2'],
  [() => inferenceApp, 'POST', VERTEX.predictRoute, '{"instances":[1]}'],
];
const managementCalls: Call[] = [
  [() => managementApp, 'GET', '/models'],
];
const send = ([app, method, url, body]: Call, authorization?: string) =>
  app().inject({ method, url, ...(body ? { payload: body } : {}), headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) } });

const REFUSED = 'Token Authorization failed. Token either incorrect, expired, or not provided correctly';

function expectRefused(res: { statusCode: number; json(): unknown }, url: string) {
  expect(res.statusCode, url).toBe(400);
  const kserve = url.startsWith('/v1') || url.startsWith('/v2') || url.startsWith('/vertex');
  expect(res.json(), url).toEqual(kserve ? { error: REFUSED } : { code: 400, type: 'InvalidKeyException', message: REFUSED });
}

describe('token authorization on every API', () => {
  it.each([...inferenceCalls, ...managementCalls].map((c) => [c[2], c] as const))('%s: no key, wrong key, other listener\'s key -> 400; right key -> 200', async (url, call) => {
    const kind = call[0]() === managementApp ? 'management' : 'inference';
    const other = kind === 'inference' ? 'management' : 'inference';
    expectRefused(await send(call), url);
    expectRefused(await send(call, 'Bearer wrongkey'), url);
    expectRefused(await send(call, `Bearer ${auth.keys()[other].key}`), url);
    expectRefused(await send(call, auth.keys()[kind].key), url); // missing "Bearer"
    const ok = await send(call, `Bearer ${auth.keys()[kind].key}`);
    expect(ok.statusCode, url).toBe(200);
  });

  it('refuses expired keys (400) until they are refreshed through /token with the API key', async () => {
    const saved = clock;
    clock += 61 * 60_000;
    try {
      expectRefused(await send(inferenceCalls[0]!, `Bearer ${auth.keys().inference.key}`), '/predictions/mnist');
      expectRefused(await send(managementCalls[0]!, `Bearer ${auth.keys().management.key}`), '/models');
      const refreshed = await managementApp.inject({ url: '/token?type=inference', headers: { authorization: `Bearer ${auth.keys().API.key}` } });
      expect([refreshed.statusCode, refreshed.body, refreshed.headers['content-type']]).toEqual([200, '\n', 'application/json']);
      const key = JSON.parse(await readFile(auth.keyFile, 'utf8')).inference.key as string;
      expect((await send(inferenceCalls[0]!, `Bearer ${key}`)).statusCode).toBe(200);
      expectRefused(await send(managementCalls[0]!, `Bearer ${auth.keys().management.key}`), '/models');
      expect((await managementApp.inject({ url: '/token?type=management', headers: { authorization: `Bearer ${auth.keys().API.key}` } })).statusCode).toBe(200);
      expect((await send(managementCalls[0]!, `Bearer ${auth.keys().management.key}`)).statusCode).toBe(200);
    } finally {
      clock = saved;
    }
  });

  it('/token refuses the management key, a bad type, and is not on the inference listener', async () => {
    const bad = await managementApp.inject({ url: '/token?type=inference', headers: { authorization: `Bearer ${auth.keys().management.key}` } });
    expect([bad.statusCode, bad.json()]).toEqual([400, { code: 400, type: 'InvalidKeyException', message: 'Token Authentication failed. Token either incorrect, expired, or not provided correctly' }]);
    const badType = await managementApp.inject({ url: '/token?type=API', headers: { authorization: `Bearer ${auth.keys().API.key}` } });
    expect(badType.statusCode).toBe(400);
    const onInference = await inferenceApp.inject({ url: '/token?type=inference', headers: { authorization: `Bearer ${auth.keys().inference.key}` } });
    expect(onInference.statusCode).toBe(404);
  });

  it('leaves probes, API descriptions and /metrics open (nserve: /ping too, unlike TorchServe)', async () => {
    for (const url of ['/ping', '/v2/health/live', '/v2/health/ready', '/v1/models/mnist', '/v2/models/mnist/ready', VERTEX.healthRoute, '/api-description']) {
      expect((await inferenceApp.inject(url)).statusCode, url).toBe(200);
    }
    expect((await inferenceApp.inject({ method: 'OPTIONS', url: '/' })).statusCode).toBe(200);
    expect((await metricsApp.inject('/metrics')).statusCode).toBe(200);
  });

  it('answers 404 on /token when token authorization is disabled', async () => {
    const off = createTokenAuth({ enabled: false, keyFile: join(dir, 'unused.json') });
    const app = await createHttpApp({ groups: ['management'], plugins: { management: [tokenRoutes({ auth: off })] }, maxRequestSize: 1000 });
    expect((await app.inject('/token?type=inference')).statusCode).toBe(404);
    await app.close();
  });
});
