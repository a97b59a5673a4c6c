/**
 * Token authorization over gRPC: the `authorization: Bearer <key>` metadata entry, the
 * inference key for the inference port's services (Ping and OIP included), the management key
 * for the management service; failures are PERMISSION_DENIED with TorchServe's message and
 * never reach the service.
 */
import { createServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../../src/errors/index.js';
import type { AuthKind } from '../../../src/protocols/grpc/index.js';
import { call, callError, readStream, startHarness, type Harness } from './helpers.js';

const KEYS: Record<AuthKind, string> = { inference: 'inf-Key1', management: 'mgmt-Key' };
const MESSAGE = 'Token Authorization failed. Token either incorrect, expired, or not provided correctly';

function authorize(kind: AuthKind, header: string | undefined): void {
  const token = /^Bearer\s+(\S+)$/.exec(header ?? '')?.[1];
  if (token !== KEYS[kind]) throw new UnauthenticatedError();
}

function bearer(key: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('protocol', 'gRPC');
  if (key !== undefined) md.set('authorization', `Bearer ${key}`);
  return md;
}

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('separate ports', () => {
  beforeEach(async () => {
    h = await startHarness({ authorize });
  });

  it.each([
    ['no token', undefined],
    ['wrong token', 'incorrect-token'],
    ['management token', KEYS.management],
  ])('inference rpcs with %s -> PERMISSION_DENIED, service not called', async (_, key) => {
    for (const [client, rpc, request] of [
      [h.ts, 'Predictions', { model_name: 'echo', input: {} }],
      [h.ts, 'Ping', {}],
      [h.oip, 'ServerLive', {}],
      [h.oipTs, 'ModelInfer', { model_name: 'tensor', inputs: [] }],
    ] as const) {
      const err = await callError(client, rpc, request, bearer(key));
      expect([rpc, err.code, err.details]).toEqual([rpc, grpc.status.PERMISSION_DENIED, MESSAGE]);
    }
    const { error } = await readStream(h.ts.StreamPredictions!({ model_name: 'stream', input: {} }, bearer(key)) as grpc.ClientReadableStream<unknown>);
    expect(error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(h.inference.calls).toHaveLength(0);
    expect(h.logLines.at(-1)).toMatch(/StreamPredictions HTTP\/2\.0" 7 \d+$/);
  });

  it('inference token opens the inference port only', async () => {
    const md = bearer(KEYS.inference);
    expect(await call(h.ts, 'Ping', {}, md)).toEqual({ health: '{\n  "status": "Healthy"\n}' });
    expect(Buffer.from((await call<{ prediction: Buffer }>(h.ts, 'Predictions', { model_name: 'echo', input: { data: Buffer.from('ok') } }, md)).prediction).toString()).toBe('ok');
    expect(await call(h.oip, 'ServerLive', {}, md)).toEqual({ live: true });
    expect((await callError(h.mgmt, 'ListModels', { limit: 1 }, md)).code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('management token opens the management service', async () => {
    expect((await callError(h.mgmt, 'RegisterModel', { url: 'a.mar' }, bearer(undefined))).code).toBe(grpc.status.PERMISSION_DENIED);
    expect((await callError(h.mgmt, 'RegisterModel', { url: 'a.mar' }, bearer('incorrect-token'))).details).toBe(MESSAGE);
    expect(h.management.registered).toHaveLength(0);
    const { msg } = await call<{ msg: string }>(h.mgmt, 'RegisterModel', { url: 'a.mar' }, bearer(KEYS.management));
    expect(msg).toBe('Model "a" Version: 1.0 registered with 0 initial workers');
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('inference and management on one address', () => {
  it('serves every service on the one port, each with its own token', async () => {
    const port = await freePort();
    h = await startHarness({ authorize, inferencePort: port, managementPort: port });
    expect([h.inferencePort, h.managementPort]).toEqual([port, port]);
    const mgmtOnShared = h.client('org.pytorch.serve.grpc.management.ManagementAPIsService', port);
    expect(JSON.parse((await call<{ msg: string }>(mgmtOnShared, 'ListModels', { limit: 5 }, bearer(KEYS.management))).msg).models).toHaveLength(2);
    expect((await callError(mgmtOnShared, 'ListModels', { limit: 5 }, bearer(KEYS.inference))).code).toBe(grpc.status.PERMISSION_DENIED);
    expect(await call(h.ts, 'Ping', {}, bearer(KEYS.inference))).toEqual({ health: '{\n  "status": "Healthy"\n}' });
  });
});
