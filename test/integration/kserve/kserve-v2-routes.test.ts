import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { PredictionError } from '../../../src/errors/index.js';
import type { TensorDatatype } from '../../../src/inference/types.js';
import { createHttpApp } from '../../../src/protocols/http/http-app.js';
import { kserveV2Routes } from '../../../src/protocols/kserve-v2/routes.js';
import { valuesToRaw } from '../../../src/protocols/shared/v2-tensors.js';
import { bodyOf, fakeInference, jsonResult, type FakeInference } from './fake-inference.js';

type V2Body = { inputs: Array<{ name: string; datatype: string; shape: number[]; data: unknown[] }> };

const FP16_GOLDEN = Buffer.from([0xcd, 0x46, 0x9a, 0x41, 0xcd, 0x44, 0x9a, 0x3d, 0x00, 0x46, 0xcd, 0x42, 0x80, 0x44, 0x66, 0x3e]);

function models(): FakeInference {
  return fakeInference([
    {
      name: 'echo',
      signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }] },
      // Echoes every input back as an output of the same name, type and shape (v2-shaped result).
      handler: (req) => jsonResult({ outputs: (bodyOf(req) as V2Body).inputs.map((i) => ({ name: i.name, datatype: i.datatype, shape: i.shape, data: i.data })) }),
    },
    { name: 'echo', version: '2.0', handler: () => jsonResult({ v: [2] }) },
    {
      name: 'FP16OutputModel',
      version: '',
      signature: { inputs: [], outputs: [{ name: 'fp16_output', datatype: 'FP16', shape: [8] }, { name: 'fp32_output', datatype: 'FP32', shape: [8] }] },
      handler: (req) => {
        const data = (bodyOf(req) as V2Body).inputs[0]!.data as number[];
        return jsonResult({ fp16_output: data, fp32_output: data.map(Math.fround) });
      },
    },
    { name: 'loading', ready: false, workers: 1, handler: () => jsonResult(0) },
    { name: 'sdxl', handler: () => ({ status: 200, headers: {}, contentType: 'image/png', body: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }) },
    { name: 'broken', handler: () => { throw new PredictionError(); } },
  ]);
}

let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; });

async function serve(inference: FakeInference): Promise<FastifyInstance> {
  app = await createHttpApp({ groups: ['inference'], plugins: { inference: [kserveV2Routes({ inference, server: { name: 'nserve', version: '9.9.9' } })] }, maxRequestSize: 10_000_000 });
  return app;
}

const infer = (a: FastifyInstance, path: string, body: unknown, headers: Record<string, string> = {}) =>
  a.inject({ method: 'POST', url: path, payload: Buffer.isBuffer(body) ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

describe('KServe v2 health and metadata', () => {
  it('answers live, ready and server metadata', async () => {
    const inference = models();
    inference.models.delete('loading');
    const a = await serve(inference);
    expect((await a.inject('/v2/health/live')).json()).toEqual({ live: true });
    expect((await a.inject('/v2/health/ready')).json()).toEqual({ ready: true });
    expect((await a.inject('/v2')).json()).toEqual({ name: 'nserve', version: '9.9.9', extensions: ['binary_tensor_data'] });
    expect((await a.inject('/v2/models')).json().models).toContain('echo');
  });

  it('is not ready while a model with workers is still loading', async () => {
    const a = await serve(models());
    const res = await a.inject('/v2/health/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: 'Server is not ready.' });
  });

  it('serves model metadata from the signature, versioned or not', async () => {
    const a = await serve(models());
    expect((await a.inject('/v2/models/echo')).json()).toEqual({
      name: 'echo', versions: ['1.0', '2.0'], platform: '',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
    });
    expect((await a.inject('/v2/models/echo/versions/2.0')).json()).toMatchObject({ name: 'echo', inputs: [], outputs: [] });
    const missing = await a.inject('/v2/models/echo/versions/7');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'Model version: 7 does not exist for model: echo' });
  });

  it('answers readiness per model: 200, 503 while loading, 404 when unknown', async () => {
    const a = await serve(models());
    expect((await a.inject('/v2/models/echo/ready')).json()).toEqual({ name: 'echo', ready: true });
    const loading = await a.inject('/v2/models/loading/ready');
    expect([loading.statusCode, loading.json()]).toEqual([503, { error: 'Model with name loading is not ready.' }]);
    const unknown = await a.inject('/v2/models/nope/ready');
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: 'Model with name nope does not exist.' }]);
  });
});

describe('KServe v2 infer', () => {
  it('passes the v2 JSON to the handler and encodes its outputs', async () => {
    const inference = models();
    const a = await serve(inference);
    const res = await infer(a, '/v2/models/echo/infer', { id: 'abc', inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [[1, 2.5], [3, 4]] }] });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.body).toBe(
      '{"model_name":"echo","model_version":"1.0","id":"abc","parameters":null,"outputs":[{"name":"x","shape":[2,2],"datatype":"FP32","parameters":null,"data":[1.0,2.5,3.0,4.0]}]}',
    );
    const call = inference.calls[0]!;
    expect(call.request.parameters[0]!.contentType).toBe('application/json');
    expect(call.request.headers['explain']).toBe('False');
    expect(call.options.explain).toBe(false);
  });

  it('uses the request id when the body has none, and serves versioned paths', async () => {
    const a = await serve(models());
    const res = await infer(a, '/v2/models/echo/versions/2.0/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'INT8', data: [1] }] });
    expect(res.json()).toMatchObject({ model_name: 'echo', model_version: '2.0', outputs: [{ name: 'v', data: [2] }] });
    expect(res.json().id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json().id).toBe(res.headers['x-request-id']);
  });

  it('reproduces KServe\'s FP16 binary output golden (Inference-Header-Content-Length: 345)', async () => {
    const a = await serve(models());
    const res = await infer(a, '/v2/models/FP16OutputModel/infer', {
      id: '123',
      inputs: [{ name: 'fp32_input', shape: [2, 4], datatype: 'FP32', data: [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]] }],
      outputs: [{ name: 'fp16_output', parameters: { binary_data: true } }, { name: 'fp32_output', parameters: { binary_data: false } }],
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['inference-header-content-length']).toBe('345');
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.rawPayload.subarray(345)).toEqual(FP16_GOLDEN);
  });

  it('accepts FP16 as binary input and rejects it as JSON (400 {"error"})', async () => {
    const inference = models();
    const a = await serve(inference);
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'h', shape: [2, 4], datatype: 'FP16', parameters: { binary_data_size: 16 } }] }));
    const ok = await infer(a, '/v2/models/echo/infer', Buffer.concat([header, FP16_GOLDEN]), {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    });
    expect(ok.statusCode).toBe(400); // the echo returns FP16 as JSON, which KServe refuses
    expect(ok.json().error).toMatch(/output "h" is FP16/);
    expect((bodyOf(inference.calls[0]!.request) as V2Body).inputs[0]!.data).toEqual([6.80078125, 2.80078125, 4.80078125, 1.400390625, 6, 3.400390625, 4.5, 1.599609375]);
    const json = await infer(a, '/v2/models/echo/infer', { inputs: [{ name: 'h', shape: [1], datatype: 'FP16', data: [1] }] });
    expect(json.statusCode).toBe(400);
    expect(json.json()).toEqual({ error: 'input "h": FP16 data cannot be sent as JSON; use the binary data extension' });
  });

  it('round-trips all 13 datatypes through the binary extension, in and out', async () => {
    const a = await serve(models());
    const tensors: Array<[TensorDatatype, unknown[]]> = [
      ['BOOL', [true, false]], ['UINT8', [0, 255]], ['UINT16', [1, 65535]], ['UINT32', [7, 4294967295]], ['UINT64', [1, 2 ** 52]],
      ['INT8', [-128, 127]], ['INT16', [-32768, 5]], ['INT32', [-1, 2147483647]], ['INT64', [-(2 ** 52), 3]],
      ['FP16', [0.5, -65504]], ['FP32', [1.5, -3.25]], ['FP64', [Math.PI, -1e300]], ['BYTES', ['cat', '\u00e9t\u00e9']],
    ];
    const raws = tensors.map(([dt, values]) => valuesToRaw('t', dt, values));
    const header = Buffer.from(JSON.stringify({
      parameters: { binary_data_output: true },
      inputs: tensors.map(([dt], i) => ({ name: `t_${dt}`, shape: [2], datatype: dt, parameters: { binary_data_size: raws[i]!.length } })),
    }));
    const res = await infer(a, '/v2/models/echo/infer', Buffer.concat([header, ...raws]), {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    });
    expect(res.statusCode).toBe(200);
    const length = Number(res.headers['inference-header-content-length']);
    const outputs = JSON.parse(res.rawPayload.subarray(0, length).toString()).outputs as Array<{ name: string; datatype: string; parameters: { binary_data_size: number } }>;
    expect(outputs.map((o) => o.datatype)).toEqual(tensors.map(([dt]) => dt));
    expect(res.rawPayload.subarray(length)).toEqual(Buffer.concat(raws));
    expect(outputs.map((o) => o.parameters.binary_data_size)).toEqual(raws.map((r) => r.length));
  });

  it('returns 400 {"error"} naming the input for malformed tensors, and a missing header', async () => {
    const a = await serve(models());
    const bad = await infer(a, '/v2/models/echo/infer', { inputs: [{ name: 'pixels', shape: [3], datatype: 'UINT8', data: [1, 2, 300] }] });
    expect([bad.statusCode, bad.json()]).toEqual([400, { error: 'input "pixels": element 2 (300) is not a valid UINT8 value' }]);
    const noHeader = await infer(a, '/v2/models/echo/infer', Buffer.from('{"inputs":[]}\u0000\u0001'), { 'content-type': 'application/octet-stream' });
    expect(noHeader.statusCode).toBe(400);
    expect(noHeader.json().error).toMatch(/Inference-Header-Content-Length/);
    const notJson = await infer(a, '/v2/models/echo/infer', Buffer.from('{oops'));
    expect(notJson.statusCode).toBe(400);
  });

  it('maps service errors to {"error"} with the status of the one HTTP table', async () => {
    const a = await serve(models());
    const unknown = await infer(a, '/v2/models/nope/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'INT8', data: [1] }] });
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: 'Model with name nope does not exist.' }]);
    const broken = await infer(a, '/v2/models/broken/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'INT8', data: [1] }] });
    expect([broken.statusCode, broken.json()]).toEqual([503, { error: 'Prediction failed' }]);
  });

  it('returns an image as a BYTES output (base64 in JSON)', async () => {
    const a = await serve(models());
    const res = await infer(a, '/v2/models/sdxl/infer', { inputs: [{ name: 'prompt', shape: [1], datatype: 'BYTES', data: ['a cat'] }] });
    expect(res.json().outputs).toEqual([{ name: 'output-0', shape: [1], datatype: 'BYTES', parameters: null, data: [Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64')] }]);
  });

  it('runs /explain on the handler\'s explain path', async () => {
    const inference = models();
    const a = await serve(inference);
    const res = await infer(a, '/v2/models/echo/explain', { inputs: [{ name: 'x', shape: [1], datatype: 'INT8', data: [1] }] });
    expect(res.statusCode).toBe(200);
    expect(inference.calls[0]!.options.explain).toBe(true);
    expect(inference.calls[0]!.request.headers['explain']).toBe('True');
  });
});
