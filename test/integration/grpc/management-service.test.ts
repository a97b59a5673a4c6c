/**
 * TorchServe's gRPC management service over a real socket: every rpc's `msg` text, proto3
 * defaults (synchronous false, 0 = not given), and error codes from the status table.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, callError, startHarness, type Harness } from './helpers.js';

interface Msg { msg: string }

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('ManagementAPIsService', () => {
  it('DescribeModel: the REST describe JSON, pretty, without trailing newline', async () => {
    const { msg } = await call<Msg>(h.mgmt, 'DescribeModel', { model_name: 'noop' });
    expect(msg.startsWith('[\n  {\n    "modelName": "noop",\n    "modelVersion": "1.0",')).toBe(true);
    expect(msg.endsWith('\n]')).toBe(true);
    const all = JSON.parse((await call<Msg>(h.mgmt, 'DescribeModel', { model_name: 'noop', model_version: 'all' })).msg) as { modelVersion: string }[];
    expect(all.map((d) => d.modelVersion)).toEqual(['1.0', '2.0']);
  });

  it('ListModels: limit 0 means the default page; limit/token page through', async () => {
    const first = JSON.parse((await call<Msg>(h.mgmt, 'ListModels', {})).msg);
    expect(first).toEqual({ models: [{ modelName: 'noop', modelUrl: 'noop.mar' }, { modelName: 'resnet', modelUrl: 'resnet.mar' }] });
    const paged = (await call<Msg>(h.mgmt, 'ListModels', { limit: 1 })).msg;
    expect(paged).toBe('{\n  "nextPageToken": "1",\n  "models": [\n    {\n      "modelName": "noop",\n      "modelUrl": "noop.mar"\n    }\n  ]\n}');
    const second = JSON.parse((await call<Msg>(h.mgmt, 'ListModels', { limit: 1, next_page_token: 1 })).msg);
    expect(second.models[0].modelName).toBe('resnet');
  });

  it('RegisterModel: status text; proto3 zero values are "not given", synchronous defaults to false', async () => {
    const { msg } = await call<Msg>(h.mgmt, 'RegisterModel', { url: 'squeezenet.mar', initial_workers: 2 });
    expect(msg).toBe('Model "squeezenet" Version: 1.0 registered with 2 initial workers');
    expect(h.management.registered[0]).toEqual({ url: 'squeezenet.mar', synchronous: false, initialWorkers: 2 });
    await call(h.mgmt, 'RegisterModel', {
      url: 'x.mar', model_name: 'x', handler: 'echo', runtime: 'node', batch_size: 4, max_batch_delay: 50, response_timeout: 9, startup_timeout: 30, synchronous: true,
    });
    expect(h.management.registered[1]).toEqual({
      url: 'x.mar', modelName: 'x', handler: 'echo', runtime: 'node', batchSize: 4, maxBatchDelay: 50, responseTimeout: 9, startupTimeout: 30, synchronous: true,
    });
  });

  it.each([
    ['missing url', {}, grpc.status.INVALID_ARGUMENT, 'Parameter url is required.\norg.pytorch.serve.http.BadRequestException'],
    ['invalid archive', { url: 'broken.mar' }, grpc.status.INVALID_ARGUMENT, 'Model archive broken.mar has no MANIFEST.json\norg.pytorch.serve.archive.model.InvalidModelException'],
    ['already registered', { url: 'noop.mar' }, grpc.status.ALREADY_EXISTS, 'Model version 1.0 is already registered for model noop\norg.pytorch.serve.http.ConflictStatusException'],
  ])('RegisterModel %s -> error status', async (_, request, code, details) => {
    const err = await callError(h.mgmt, 'RegisterModel', request);
    expect([err.code, err.details]).toEqual([code, details]);
  });

  it('ScaleWorker: min 0 means 1, max 0 means min; async answer text', async () => {
    expect((await call<Msg>(h.mgmt, 'ScaleWorker', { model_name: 'noop' })).msg).toBe('Processing worker updates...');
    expect((await call<Msg>(h.mgmt, 'ScaleWorker', { model_name: 'noop', model_version: '2.0', min_worker: 3, max_worker: 5, synchronous: true })).msg).toBe(
      'Workers scaled to 3 for model: noop',
    );
    expect(h.management.scaled).toEqual([
      { model: 'noop', version: undefined, params: { minWorker: 1, maxWorker: 1, synchronous: false } },
      { model: 'noop', version: '2.0', params: { minWorker: 3, maxWorker: 5, synchronous: true } },
    ]);
    const err = await callError(h.mgmt, 'ScaleWorker', { model_name: 'ghost' });
    expect([err.code, err.details]).toEqual([grpc.status.NOT_FOUND, 'Model not found: ghost\norg.pytorch.serve.archive.model.ModelNotFoundException']);
  });

  it('SetDefault and UnregisterModel answer TorchServe texts; unknown version is NOT_FOUND', async () => {
    expect((await call<Msg>(h.mgmt, 'SetDefault', { model_name: 'noop', model_version: '2.0' })).msg).toBe(
      'Default version successfully updated for model "noop" to "2.0"',
    );
    const err = await callError(h.mgmt, 'SetDefault', { model_name: 'noop', model_version: '7.0' });
    expect(err.code).toBe(grpc.status.NOT_FOUND);
    expect((await call<Msg>(h.mgmt, 'UnregisterModel', { model_name: 'noop' })).msg).toBe('Model "noop" unregistered');
    expect((await callError(h.mgmt, 'UnregisterModel', { model_name: 'noop' })).code).toBe(grpc.status.NOT_FOUND);
    expect((await callError(h.mgmt, 'UnregisterModel', {})).code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('enable_model_api=false: register and unregister are PERMISSION_DENIED, the rest works', async () => {
    await h.close();
    h = await startHarness({ enableModelApi: false });
    for (const [rpc, request] of [['RegisterModel', { url: 'x.mar' }], ['UnregisterModel', { model_name: 'noop' }]] as const) {
      const err = await callError(h.mgmt, rpc, request);
      expect([rpc, err.code, err.details]).toEqual([rpc, grpc.status.PERMISSION_DENIED, 'Model API disabled\norg.pytorch.serve.archive.model.ModelException']);
    }
    expect(h.management.registered).toHaveLength(0);
    expect(h.management.models.has('noop')).toBe(true);
    expect((await call<Msg>(h.mgmt, 'ScaleWorker', { model_name: 'noop' })).msg).toBe('Processing worker updates...');
  });

  it('is served on the management port only', async () => {
    expect(h.managementPort).not.toBe(h.inferencePort);
    const wrongPort = h.client('org.pytorch.serve.grpc.management.ManagementAPIsService', h.inferencePort);
    expect((await callError(wrongPort, 'ListModels', { limit: 1 })).code).toBe(grpc.status.UNIMPLEMENTED);
  });
});
