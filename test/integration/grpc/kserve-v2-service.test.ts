/**
 * Open Inference Protocol (KServe v2) gRPC on the inference port, under KServe's package and
 * TorchServe's: health, metadata, and ModelInfer round trips with typed and raw contents.
 */
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, callError, startHarness, type AnyClient, type Harness } from './helpers.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

interface Tensor { name: string; datatype: string; shape: string[]; contents?: Record<string, unknown[]> | null }
interface InferResponse { model_name: string; model_version: string; id: string; outputs: Tensor[]; raw_output_contents: Buffer[] }

/** The KServe-v2 JSON the fake handler received for the latest call. */
const handlerBody = () => JSON.parse(Buffer.from(h.inference.calls.at(-1)!.request.parameters[0]!.value).toString()) as Record<string, unknown>;

const f32 = (values: number[]) => Buffer.from(new Float32Array(values).buffer);
const i64 = (values: bigint[]) => Buffer.from(new BigInt64Array(values).buffer);

describe.each([
  ['inference.GRPCInferenceService', (x: Harness) => x.oip],
  ['org.pytorch.serve.grpc.openinference.GRPCInferenceService', (x: Harness) => x.oipTs],
])('%s', (_, pick: (x: Harness) => AnyClient) => {
  it('ServerLive, ServerReady (follows health), ServerMetadata', async () => {
    const c = pick(h);
    expect(await call(c, 'ServerLive', {})).toEqual({ live: true });
    expect(await call(c, 'ServerReady', {})).toEqual({ ready: true });
    h.inference.healthy = false;
    expect(await call(c, 'ServerReady', {})).toEqual({ ready: false });
    expect(await call(c, 'ServerMetadata', {})).toEqual({ name: 'nserve', version: '0.1.0', extensions: [] });
  });

  it('ModelReady and ModelMetadata', async () => {
    const c = pick(h);
    expect(await call(c, 'ModelReady', { name: 'echo' })).toEqual({ ready: true });
    expect(await call(c, 'ModelReady', { name: 'busy', version: '1.0' })).toEqual({ ready: false });
    expect((await callError(c, 'ModelReady', { name: 'nope' })).code).toBe(grpc.status.NOT_FOUND);
    expect((await callError(c, 'ModelReady', { name: 'echo', version: '9' })).code).toBe(grpc.status.NOT_FOUND);
    expect((await callError(c, 'ModelReady', {})).code).toBe(grpc.status.INVALID_ARGUMENT);
    const meta = await call<Record<string, unknown>>(c, 'ModelMetadata', { name: 'tensor-map' });
    expect(meta).toMatchObject({
      name: 'tensor-map',
      versions: ['1'],
      platform: '',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['-1', '2'] }],
      outputs: [
        { name: 'doubled', datatype: 'FP32', shape: ['-1', '2'] },
        { name: 'argmax', datatype: 'INT64', shape: ['-1'] },
      ],
    });
  });

  it('ModelInfer with typed contents: FP32, INT64 (exact beyond 2^53), BYTES, BOOL', async () => {
    const res = await call<InferResponse>(pick(h), 'ModelInfer', {
      model_name: 'tensor',
      id: 'req-1',
      parameters: { temperature: { string_param: 'hot' } },
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [2, 2], contents: { fp32_contents: [0.5, -1.25, 3, 1e-3] } },
        { name: 'b', datatype: 'INT64', shape: [3], contents: { int64_contents: ['9007199254740993', '-7', '0'] } },
        { name: 'c', datatype: 'BYTES', shape: [2], contents: { bytes_contents: [Buffer.from('a cat'), Buffer.from('héllo')] } },
        { name: 'd', datatype: 'BOOL', shape: [1, 2], contents: { bool_contents: [true, false] } },
      ],
    });
    const body = handlerBody();
    expect(h.inference.calls.at(-1)!.request.parameters[0]!.contentType).toBe('application/json');
    expect(body).toEqual({
      id: 'req-1',
      model_name: 'tensor',
      parameters: { temperature: 'hot' },
      inputs: [
        { name: 'a', shape: [2, 2], datatype: 'FP32', data: [0.5, -1.25, 3, 0.0010000000474974513] },
        { name: 'b', shape: [3], datatype: 'INT64', data: [9007199254740992, -7, 0] },
        { name: 'c', shape: [2], datatype: 'BYTES', data: ['a cat', 'héllo'] },
        { name: 'd', shape: [1, 2], datatype: 'BOOL', data: [true, false] },
      ],
    });
    expect(Buffer.from(h.inference.calls.at(-1)!.request.parameters[0]!.value).toString()).toContain('"data":[9007199254740993,-7,0]');
    expect(res.model_name).toBe('tensor');
    expect(res.model_version).toBe('3');
    expect(res.id).toBe('req-1');
    expect(res.raw_output_contents).toEqual([]);
    const out = Object.fromEntries(res.outputs.map((o) => [o.name, o]));
    expect(out.out_a).toMatchObject({ datatype: 'FP32', shape: ['2', '2'] });
    expect(out.out_a!.contents!.fp32_contents).toEqual([0.5, -1.25, 3, Math.fround(1e-3)]);
    expect(out.out_b!.contents!.int64_contents).toEqual(['9007199254740992', '-7', '0']);
    expect(out.out_c!.contents!.bytes_contents!.map((b) => String(b))).toEqual(['a cat', 'héllo']);
    expect(out.out_d!.contents!.bool_contents).toEqual([true, false]);
  });

  it('ModelInfer with raw contents answers raw contents', async () => {
    const bytesRaw = Buffer.concat([Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.from([2, 0, 0, 0, 0xff, 0xfe])]);
    const res = await call<InferResponse>(pick(h), 'ModelInfer', {
      model_name: 'tensor',
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 3] },
        { name: 'n', datatype: 'INT64', shape: [2] },
        { name: 's', datatype: 'BYTES', shape: [2] },
      ],
      raw_input_contents: [f32([1.5, 2.5, -3]), i64([5n, -6n]), bytesRaw],
    });
    expect((handlerBody().inputs as unknown[])[2]).toEqual({ name: 's', shape: [2], datatype: 'BYTES', parameters: { binary_encoding: 'base64' }, data: ['YWJj', '//4='] });
    expect(res.outputs.map((o) => [o.name, o.datatype, o.shape, o.contents ?? null])).toEqual([
      ['out_x', 'FP32', ['1', '3'], null],
      ['out_n', 'INT64', ['2'], null],
      ['out_s', 'BYTES', ['2'], null],
    ]);
    expect(res.raw_output_contents[0]).toEqual(f32([1.5, 2.5, -3]));
    expect(res.raw_output_contents[1]).toEqual(i64([5n, -6n]));
    expect(res.raw_output_contents[2]).toEqual(Buffer.concat([Buffer.from([4, 0, 0, 0]), Buffer.from('YWJj'), Buffer.from([4, 0, 0, 0]), Buffer.from('//4=')]));
  });
});

describe('ModelInfer output decoding', () => {
  it('a {name: nestedArray} result takes datatypes from the signature and shapes from the nesting', async () => {
    const res = await call<InferResponse>(h.oip, 'ModelInfer', {
      model_name: 'tensor-map',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], contents: { fp32_contents: [1, 2, 4, 3] } }],
    });
    expect(res.outputs).toEqual([
      { name: 'doubled', datatype: 'FP32', shape: ['2', '2'], parameters: {}, contents: expect.objectContaining({ fp32_contents: [2, 4, 8, 6] }) },
      { name: 'argmax', datatype: 'INT64', shape: ['2'], parameters: {}, contents: expect.objectContaining({ int64_contents: ['1', '0'] }) },
    ]);
  });

  it('requested outputs filter the result; FP16 outputs come back raw', async () => {
    const res = await call<InferResponse>(h.oip, 'ModelInfer', {
      model_name: 'tensor-map',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } }],
      outputs: [{ name: 'argmax' }],
    });
    expect(res.outputs.map((o) => o.name)).toEqual(['argmax']);
    expect(handlerBody().outputs).toEqual([{ name: 'argmax' }]);
    const half = await call<InferResponse>(h.oip, 'ModelInfer', { model_name: 'half', inputs: [] });
    expect(half.outputs[0]).toMatchObject({ name: 'h', datatype: 'FP16', shape: ['3'] });
    expect([...half.raw_output_contents[0]!]).toEqual([0x00, 0x3c, 0x00, 0xc1, 0x66, 0x2e]);
  });

  it('a handler-set HTTP error status is an error status, not tensors', async () => {
    const err = await callError(h.oip, 'ModelInfer', { model_name: 'status-400', inputs: [] });
    expect([err.code, err.details]).toEqual([grpc.status.INVALID_ARGUMENT, 'bad tensor\norg.pytorch.serve.http.InternalServerException']);
  });

  it.each([
    ['unknown model', { model_name: 'nope', inputs: [] }, grpc.status.NOT_FOUND],
    ['element count vs shape', { model_name: 'tensor', inputs: [{ name: 'a', datatype: 'FP32', shape: [3], contents: { fp32_contents: [1] } }] }, grpc.status.INVALID_ARGUMENT],
    ['raw entries vs inputs', { model_name: 'tensor', inputs: [{ name: 'a', datatype: 'FP32', shape: [1] }, { name: 'b', datatype: 'FP32', shape: [1] }], raw_input_contents: [f32([1])] }, grpc.status.INVALID_ARGUMENT],
    ['FP16 as typed contents', { model_name: 'tensor', inputs: [{ name: 'a', datatype: 'FP16', shape: [1], contents: { fp32_contents: [1] } }] }, grpc.status.INVALID_ARGUMENT],
    ['unknown datatype', { model_name: 'tensor', inputs: [{ name: 'a', datatype: 'FLOAT', shape: [1] }] }, grpc.status.INVALID_ARGUMENT],
    ['queue full', { model_name: 'busy', inputs: [] }, grpc.status.UNAVAILABLE],
  ])('%s -> error status', async (_, request, code) => {
    expect((await callError(h.oip, 'ModelInfer', request)).code).toBe(code);
  });
});
