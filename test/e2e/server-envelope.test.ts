/**
 * `service_envelope` (KServe sets TS_SERVICE_ENVELOPE) on TorchServe's `/predictions`, through
 * the real `bin/nserve.js`: the kserve envelope answers every instance (TorchServe keeps only the
 * first) and the instances reach the handler as one batch; kservev2 runs the onnx handler.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyOnnxModel } from '../../src/tools/examples/tiny-models.js';
import { buildMar } from '../helpers/build-mar.js';
import { postJson } from '../helpers/http.js';
import { startNserve, type NserveProcess } from '../helpers/nserve-process.js';

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'nserve-e2e-envelope-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('service_envelope=kserve', () => {
  let server: NserveProcess;
  beforeAll(async () => {
    const handler = join(work, 'batch_echo.js');
    writeFileSync(
      handler,
      'export default class { async initialize() {} async handle(requests) { return requests.map((r) => ({ batch: requests.length, got: r.body })); } }\n',
    );
    const mar = await buildMar(join(work, 'kserve'), {
      name: 'batchecho',
      handlerFile: handler,
      config: { minWorkers: 1, maxWorkers: 1, batchSize: 4, maxBatchDelay: 2000 },
    });
    server = await startNserve({ storeFiles: [mar], properties: { service_envelope: 'kserve' } });
  });
  afterAll(() => server?.stop());

  it('a batch of 4 instances gives 4 predictions, run as one batch of the model', async () => {
    const instances = [{ x: 1 }, { x: 2 }, { x: 3 }, { x: 4 }];
    const res = await postJson(`${server.inferenceUrl}/predictions/batchecho`, { instances });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { predictions: { batch: number; got: unknown }[] };
    expect(body.predictions.map((p) => p.got)).toEqual(instances);
    expect(body.predictions.map((p) => p.batch)).toEqual([4, 4, 4, 4]);
  });

  it('a body without instances is a 400', async () => {
    const res = await postJson(`${server.inferenceUrl}/predictions/batchecho`, { nope: 1 });
    expect(res.status).toBe(400);
  });
});

describe('service_envelope=kservev2', () => {
  let server: NserveProcess;
  beforeAll(async () => {
    const model = buildTinyOnnxModel(join(work, 'v2model'));
    const mar = await buildMar(join(work, 'v2'), { name: 'tiny', builtin: 'onnx', serializedFile: model, config: { minWorkers: 1, maxWorkers: 1 } });
    server = await startNserve({ storeFiles: [mar], properties: { service_envelope: 'kservev2' } });
  });
  afterAll(() => server?.stop());

  it('an Open Inference Protocol body on /predictions gets a v2 response', async () => {
    const res = await postJson(`${server.inferenceUrl}/predictions/tiny`, {
      id: 'r1',
      inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6, 7, 8] }],
    });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { model_name: string; id: string; outputs: { name: string; shape: number[]; datatype: string; data: number[] }[] };
    expect(body.model_name).toBe('tiny');
    expect(body.id).toBe('r1');
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]!.name).toBe('output');
    expect(body.outputs[0]!.shape).toEqual([2, 3]);
    expect(body.outputs[0]!.data).toHaveLength(6);
    expect(body.outputs[0]!.data.every((v) => Number.isFinite(v))).toBe(true);
  });
});
