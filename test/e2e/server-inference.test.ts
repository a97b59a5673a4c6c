/**
 * `bin/nserve.js` serving the tiny ONNX model through the built-in `onnx` handler, as a curl
 * user sees it: real process, real sockets, token auth on, real worker thread and onnxruntime
 * session. Expected outputs come from an onnxruntime session on the same model file, run here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyOnnxModel } from '../../src/tools/examples/tiny-models.js';
import { buildMar } from '../helpers/build-mar.js';
import { postJson, rawRequest } from '../helpers/http.js';
import { startNserve, type NserveProcess } from '../helpers/nserve-process.js';

const MAX_REQUEST_SIZE = 100_000;
let work: string;
let server: NserveProcess;
let session: ort.InferenceSession;
let auth: Record<string, string>;
let manage: Record<string, string>;

/** What the model gives for `rows`, computed in this process. */
async function reference(rows: number[][]): Promise<number[][]> {
  const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 4]);
  const out = (await session.run({ input })).output!;
  const data = Array.from(out.data as Float32Array);
  return rows.map((_, i) => data.slice(i * 3, i * 3 + 3));
}

function expectClose(actual: number[][], expected: number[][]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((row, i) => {
    expect(row).toHaveLength(3);
    row.forEach((v, j) => expect(v).toBeCloseTo(expected[i]![j]!, 5));
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'nserve-e2e-inference-'));
  const model = buildTinyOnnxModel(work);
  session = await ort.InferenceSession.create(model);
  const mar = await buildMar(join(work, 'mar'), {
    name: 'tiny_onnx',
    builtin: 'onnx',
    serializedFile: model,
    config: { minWorkers: 1, maxWorkers: 1, batchSize: 4, maxBatchDelay: 300, handler: { intraOpNumThreads: 1 } },
  });
  server = await startNserve({ storeFiles: [mar], tokenAuth: true, properties: { max_request_size: MAX_REQUEST_SIZE } });
  auth = { authorization: `Bearer ${server.keys!.inference}` };
  manage = { authorization: `Bearer ${server.keys!.management}` };
});

afterAll(async () => {
  await server?.stop();
  await session?.release();
  rmSync(work, { recursive: true, force: true });
});

describe('tiny_onnx over /predictions', () => {
  it('/ping answers Healthy (probes need no key, docs/migration-notes.md); predictions without the key: InvalidKeyException', async () => {
    for (const headers of [auth, {}]) {
      const ping = await fetch(`${server.inferenceUrl}/ping`, { headers });
      expect(ping.status).toBe(200);
      expect(await ping.json()).toEqual({ status: 'Healthy' });
    }
    const denied = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { input: [[1, 2, 3, 4]] });
    expect(denied.status).toBe(400);
    expect(denied.body).toEqual({
      code: 400,
      type: 'InvalidKeyException',
      message: 'Token Authorization failed. Token either incorrect, expired, or not provided correctly',
    });
    const wrongKey = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { input: [[1, 2, 3, 4]] }, { headers: manage });
    expect(wrongKey.status).toBe(400);
  });

  it('one request: 200, {"output": [[3 floats]]} equal to onnxruntime on the same model', async () => {
    const res = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { input: [[1, 2, 3, 4]] }, { headers: auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const body = res.body as { output: number[][] };
    expect(Object.keys(body)).toEqual(['output']);
    expectClose(body.output, await reference([[1, 2, 3, 4]]));
    // TorchServe's json.dumps(indent=2): pretty JSON without a trailing newline.
    expect(res.text).toBe(JSON.stringify(body, null, 2));
  });

  it('8 concurrent requests with batchSize 4: every answer is its own row, equal to the single-request answer', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => [i, -i / 2, 0.25 * i, 1 - i]);
    const singles: number[][] = [];
    for (const row of rows.slice(0, 2)) {
      const res = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { input: [row] }, { headers: auth });
      expect(res.status).toBe(200);
      singles.push((res.body as { output: number[][] }).output[0]!);
    }
    const answers = await Promise.all(rows.map((row) => postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { input: [row] }, { headers: auth })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const outputs = answers.map((a) => (a.body as { output: number[][] }).output);
    outputs.forEach((o) => expect(o).toHaveLength(1));
    expectClose(outputs.map((o) => o[0]!), await reference(rows));
    // Batched rows equal the same rows sent alone.
    expectClose([outputs[0]![0]!, outputs[1]![0]!], singles);
    // Distinct inputs give distinct answers (nothing was mixed up or duplicated).
    expect(new Set(outputs.map((o) => JSON.stringify(o))).size).toBe(8);
  });

  it('a request with two rows gets two rows back, in order', async () => {
    const rows = [
      [4, 3, 2, 1],
      [-1, 0, 1, 2],
    ];
    const res = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { input: rows }, { headers: auth });
    expect(res.status).toBe(200);
    expectClose((res.body as { output: number[][] }).output, await reference(rows));
  });

  it('KServe v1 instances as rows (bare or named): one row back per instance, equal to onnxruntime', async () => {
    const rows = [[1, 2, 3, 4], [4, 3, 2, 1], [0, 0.5, -1, 2]];
    const expected = await reference(rows);
    const bare = await postJson(`${server.inferenceUrl}/v1/models/tiny_onnx:predict`, { instances: rows }, { headers: auth });
    expect(bare.status).toBe(200);
    expectClose((bare.body as { predictions: number[][] }).predictions, expected);
    const named = await postJson(`${server.inferenceUrl}/v1/models/tiny_onnx:predict`, { instances: rows.map((input) => ({ input })) }, { headers: auth });
    expect(named.status).toBe(200);
    expectClose((named.body as { predictions: { output: number[] }[] }).predictions.map((p) => p.output), expected);
    // The same row through /predictions, without the batch dimension.
    const one = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, rows[1], { headers: auth });
    expect(one.status).toBe(200);
    expectClose([one.body as number[]], [expected[1]!]);
  });

  it('wrong input name or shape: 400 BadRequestException naming the input', async () => {
    const badName = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { pixels: [[1, 2, 3, 4]] }, { headers: auth });
    expect(badName.status).toBe(400);
    const nameErr = badName.body as { code: number; type: string; message: string };
    expect(nameErr.code).toBe(400);
    expect(nameErr.type).toBe('BadRequestException');
    expect(nameErr.message).toContain("'pixels'");
    expect(nameErr.message).toContain('input');

    const badShape = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { input: [[1, 2, 3]] }, { headers: auth });
    expect(badShape.status).toBe(400);
    const shapeErr = badShape.body as { code: number; type: string; message: string };
    expect(shapeErr).toMatchObject({ code: 400, type: 'BadRequestException' });
    expect(shapeErr.message).toContain("'input'");
    expect(shapeErr.message).toContain('[1,3]');
    // The worker is fine afterwards.
    const ok = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { input: [[1, 2, 3, 4]] }, { headers: auth });
    expect(ok.status).toBe(200);
  });

  it('unknown model or version: 404 with TorchServe messages', async () => {
    const model = await postJson(`${server.inferenceUrl}/predictions/nope`, { input: [[1, 2, 3, 4]] }, { headers: auth });
    expect(model.status).toBe(404);
    expect(model.body).toEqual({ code: 404, type: 'ModelNotFoundException', message: 'Model not found: nope' });
    const version = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx/9.9`, { input: [[1, 2, 3, 4]] }, { headers: auth });
    expect(version.status).toBe(404);
    expect(version.body).toEqual({ code: 404, type: 'ModelVersionNotFoundException', message: 'Model version: 9.9 does not exist for model: tiny_onnx' });
  });

  it('a body over max_request_size: 413 with an empty body; the server keeps serving', async () => {
    const big = JSON.stringify({ input: [Array(MAX_REQUEST_SIZE / 4).fill(1.5)] });
    expect(big.length).toBeGreaterThan(MAX_REQUEST_SIZE);
    const res = await rawRequest(`${server.inferenceUrl}/predictions/tiny_onnx`, { headers: { ...auth, 'content-type': 'application/json' }, body: big });
    expect(res.status).toBe(413);
    expect(res.body).toBe('');
    const ok = await postJson(`${server.inferenceUrl}/predictions/tiny_onnx`, { input: [[1, 2, 3, 4]] }, { headers: auth });
    expect(ok.status).toBe(200);
  });

  it('model API off (the default): register and unregister answer 405', async () => {
    const register = await fetch(`${server.managementUrl}/models?url=tiny_onnx.mar&model_name=t2&initial_workers=1`, { method: 'POST', headers: manage });
    expect(register.status).toBe(405);
    expect(await register.json()).toEqual({
      code: 405,
      type: 'MethodNotAllowedException',
      message: 'Requested method is not allowed, please refer to API document.',
    });
    const unregister = await fetch(`${server.managementUrl}/models/tiny_onnx`, { method: 'DELETE', headers: manage });
    expect(unregister.status).toBe(405);
    const list = await fetch(`${server.managementUrl}/models`, { headers: manage });
    expect(await list.json()).toEqual({ models: [{ modelName: 'tiny_onnx', modelUrl: 'tiny_onnx.mar' }] });
  });
});
