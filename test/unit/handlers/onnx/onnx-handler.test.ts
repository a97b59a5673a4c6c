import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/errors/index.js';
import type { HandlerContext, HandlerRequest } from '../../../../src/handlers/handler.js';
import { OnnxHandler } from '../../../../src/handlers/onnx/onnx-handler.js';
import { addModelBytes, fixedModelBytes, intModelBytes, writeModel } from '../../../fixtures/onnx/build-tiny-model.js';

let dir: string;

function context(file: string): HandlerContext {
  return {
    modelName: 'tiny',
    modelVersion: '1.0',
    modelDir: dir,
    manifest: { runtime: 'python', model: { modelName: 'tiny', modelVersion: '1.0', handler: 'onnx', serializedFile: file } },
    settings: {
      minWorkers: 1, maxWorkers: 1, batchSize: 4, maxBatchDelay: 10, responseTimeout: 5, startupTimeout: 5,
      maxRetryTimeoutInSec: 300, jobQueueSize: 10, modelConfig: { intraOpNumThreads: 1 },
    },
    deviceId: 0,
    batchSize: 0,
    logger: { info() {}, warn() {}, error() {} },
    setResponseStatus() {},
    setResponseContentType() {},
    setResponseHeader() {},
  };
}

const req = (body: unknown): HandlerRequest => ({ requestId: 'r', body, headers: {}, parameters: { body } });

async function loaded(file: string): Promise<OnnxHandler> {
  const h = new OnnxHandler();
  await h.initialize(context(file));
  return h;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nserve-onnx-'));
  await writeModel(join(dir, 'add.onnx'), addModelBytes());
  await writeModel(join(dir, 'fixed.onnx'), fixedModelBytes());
  await writeModel(join(dir, 'ints.onnx'), intModelBytes());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('onnx handler (real onnxruntime sessions)', () => {
  it('reports the signature from session metadata, dynamic dims as -1', async () => {
    const h = await loaded('add.onnx');
    expect(h.signature()).toEqual({
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [-1, 3] },
        { name: 'y', datatype: 'FP32', shape: [-1, 3] },
      ],
      outputs: [
        { name: 'sum', datatype: 'FP32', shape: [-1, 3] },
        { name: 'scaled', datatype: 'FP32', shape: [-1, 3] },
      ],
    });
    await h.finalize();
  });

  it('runs one request given as a map of nested arrays', async () => {
    const h = await loaded('add.onnx');
    const [out] = await h.handle([req({ x: [[1, 2, 3]], y: [[10, 20, 30]] })], context('add.onnx'));
    expect(out).toEqual({ sum: [[11, 22, 33]], scaled: [[2, 4, 6]] });
    await h.finalize();
  });

  it('accepts a JSON body that arrived as bytes', async () => {
    const h = await loaded('add.onnx');
    const [out] = await h.handle([req(Buffer.from(JSON.stringify({ x: [[1, 1, 1]], y: [[1, 1, 1]] })))], context('add.onnx'));
    expect(out).toEqual({ sum: [[2, 2, 2]], scaled: [[2, 2, 2]] });
    await h.finalize();
  });

  it('stacks a batch along dim 0 and splits the outputs back per request', async () => {
    const h = await loaded('add.onnx');
    const out = await h.handle(
      [
        req({ x: [[1, 2, 3]], y: [[0, 0, 0]] }),
        req({ x: [[4, 5, 6], [7, 8, 9]], y: [[1, 1, 1], [1, 1, 1]] }),
        req({ x: [[0, 0, 1]], y: [[0, 0, 1]] }),
      ],
      context('add.onnx'),
    );
    expect(out).toEqual([
      { sum: [[1, 2, 3]], scaled: [[2, 4, 6]] },
      { sum: [[5, 6, 7], [8, 9, 10]], scaled: [[8, 10, 12], [14, 16, 18]] },
      { sum: [[0, 0, 2]], scaled: [[0, 0, 2]] },
    ]);
    await h.finalize();
  });

  it('answers a KServe v2 request in v2 form', async () => {
    const h = await loaded('add.onnx');
    const [out] = await h.handle(
      [req({ id: 'abc', inputs: [
        { name: 'x', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] },
        { name: 'y', shape: [1, 3], datatype: 'FP32', data: [1, 1, 1] },
      ] })],
      context('add.onnx'),
    );
    expect(out).toEqual({
      model_name: 'tiny',
      model_version: '1.0',
      id: 'abc',
      outputs: [
        { name: 'sum', datatype: 'FP32', shape: [1, 3], data: [2, 3, 4] },
        { name: 'scaled', datatype: 'FP32', shape: [1, 3], data: [2, 4, 6] },
      ],
    });
    await h.finalize();
  });

  it('fails only the bad requests of a batch with 400 messages naming input, expected and got', async () => {
    const h = await loaded('add.onnx');
    const out = await h.handle(
      [
        req({ x: [[1, 2, 3]], z: [[1, 2, 3]] }),
        req({ x: [[1, 2]], y: [[1, 2]] }),
        req({ x: [['a', 2, 3]], y: [[1, 2, 3]] }),
        req({ x: [[1, 2, 3]] }),
        req({ x: [[1, 2, 3]], y: [[1, 1, 1]] }),
        req({ inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 3], data: [1, 2, 3] }, { name: 'y', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }),
      ],
      context('add.onnx'),
    );
    const messages = out.slice(0, 4).map((e) => {
      expect(e).toBeInstanceOf(InvalidInputError);
      return (e as Error).message;
    });
    expect(messages[0]).toBe("Unknown input 'z': the model's inputs are x, y");
    expect(messages[1]).toBe("Input 'x' has shape [1,2], expected [batch,3]");
    expect(messages[2]).toBe('Input \'x\' expects FP32 (float32) values, got "a" (string)');
    expect(messages[3]).toBe("Missing input 'y' (FP32 [batch,3]): the model's inputs are x, y");
    expect(out[4]).toEqual({ sum: [[2, 3, 4]], scaled: [[2, 4, 6]] });
    expect((out[5] as Error).message).toBe("Input 'x' has datatype INT32, expected FP32");
    expect((out[5] as InvalidInputError).kind).toBe('INVALID_ARGUMENT');
    await h.finalize();
  });

  it('runs a static-shape model request by request and checks fixed dims', async () => {
    const h = await loaded('fixed.onnx');
    const out = await h.handle(
      [req({ x: [[1, 2, 3], [4, 5, 6]] }), req({ x: [[1, 2, 3]] }), req({ x: [[0, 0, 0], [1, 1, 1]] })],
      context('fixed.onnx'),
    );
    expect(out[0]).toEqual({ out: [[2, 4, 6], [8, 10, 12]] });
    expect((out[1] as Error).message).toBe("Input 'x' has shape [1,3], expected [2,3]");
    expect(out[2]).toEqual({ out: [[0, 0, 0], [2, 2, 2]] });
    await h.finalize();
  });

  it('converts int64 tensors to JSON numbers and rejects non-integers', async () => {
    const h = await loaded('ints.onnx');
    const out = await h.handle([req({ ids: [[1, 2], [3, 4]] }), req({ ids: [[1.5, 2]] })], context('ints.onnx'));
    expect(out[0]).toEqual({ ids_out: [[1, 2], [3, 4]] });
    expect((out[1] as Error).message).toBe("Input 'ids' expects INT64 (int64) values, got 1.5 (number)");
    await h.finalize();
  });

  it('takes a bare array as the tensor of a one-input model and answers the bare output', async () => {
    const h = await loaded('ints.onnx');
    const out = await h.handle([req([[1, 2], [3, 4]]), req('[[5, 6]]'), req({ ids: [[7, 8]] })], context('ints.onnx'));
    expect(out[0]).toEqual([[1, 2], [3, 4]]);
    expect(out[1]).toEqual([[5, 6]]);
    expect(out[2]).toEqual({ ids_out: [[7, 8]] });
    await h.finalize();
  });

  it('takes one row without the batch dimension (a KServe v1 instance) and answers one row, batched with the others', async () => {
    const h = await loaded('add.onnx');
    const out = await h.handle(
      [req({ x: [1, 2, 3], y: [10, 20, 30] }), req({ x: [[4, 5, 6], [0, 0, 0]], y: [[1, 1, 1], [0, 0, 1]] }), req({ x: [0, 0, 1], y: [0, 0, 1] })],
      context('add.onnx'),
    );
    expect(out).toEqual([
      { sum: [11, 22, 33], scaled: [2, 4, 6] },
      { sum: [[5, 6, 7], [0, 0, 1]], scaled: [[8, 10, 12], [0, 0, 0]] },
      { sum: [0, 0, 2], scaled: [0, 0, 2] },
    ]);
    const ints = await loaded('ints.onnx');
    expect(await ints.handle([req([9, 10]), req([[1, 2]])], context('ints.onnx'))).toEqual([[9, 10], [[1, 2]]]);
    await Promise.all([h.finalize(), ints.finalize()]);
  });

  it('refuses a bare array for a model with several inputs, and a row where the batch dimension is fixed', async () => {
    const h = await loaded('add.onnx');
    const [bare, mixed] = await h.handle([req([[1, 2, 3]]), req({ x: [1, 2, 3], y: [[1, 2, 3]] })], context('add.onnx'));
    expect(bare).toBeInstanceOf(InvalidInputError);
    expect((bare as Error).message).toBe('A bare array is one tensor, but the model has 2 inputs (x, y): send an object mapping input names to nested arrays');
    expect((mixed as Error).message).toBe("Input 'x' has shape [3], expected [batch,3]");
    const fixed = await loaded('fixed.onnx');
    const [row] = await fixed.handle([req({ x: [1, 2, 3] })], context('fixed.onnx'));
    expect((row as Error).message).toBe("Input 'x' has shape [3], expected [2,3]");
    await Promise.all([h.finalize(), fixed.finalize()]);
  });

  it('refuses a serializedFile outside the model directory', async () => {
    await expect(loaded('../escape.onnx')).rejects.toThrow('must be inside the model directory');
  });
});
