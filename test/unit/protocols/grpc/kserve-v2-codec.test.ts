import { describe, expect, it } from 'vitest';
import { decodeModelInferResult, encodeModelInferRequest, encodeModelMetadata } from '../../../../src/protocols/grpc/kserve-v2-codec.js';

const json = (s: unknown) => Buffer.from(JSON.stringify(s));
const ctx = { modelName: 'm', modelVersion: '1', id: 'r', requestedOutputs: [] as string[], raw: false };

describe('encodeModelInferRequest', () => {
  it('writes REST KServe-v2 JSON with flat data and exact int64 digits', () => {
    const { body, raw } = encodeModelInferRequest({
      model_name: 'm', model_version: '2', id: '',
      inputs: [{ name: 'n', datatype: 'UINT64', shape: ['2'], contents: { uint64_contents: ['18446744073709551615', '1'] } }],
      outputs: [{ name: 'o', parameters: { binary_data: { parameter_choice: 'bool_param', bool_param: true } } }],
    });
    expect(raw).toBe(false);
    expect(body).toBe('{"model_name":"m","model_version":"2","inputs":[{"name":"n","shape":[2],"datatype":"UINT64","data":[18446744073709551615,1]}],"outputs":[{"name":"o","parameters":{"binary_data":true}}]}');
  });

  it('scalar (shape []) has one element; contents and raw together are rejected', () => {
    expect(JSON.parse(encodeModelInferRequest({ model_name: 'm', model_version: '', id: '', inputs: [{ name: 's', datatype: 'INT32', shape: [], contents: { int_contents: [7] } }] }).body).inputs[0].data).toEqual([7]);
    expect(() =>
      encodeModelInferRequest({
        model_name: 'm', model_version: '', id: '',
        inputs: [{ name: 's', datatype: 'INT32', shape: ['1'], contents: { int_contents: [7] } }],
        raw_input_contents: [Buffer.alloc(4)],
      }),
    ).toThrow('contents must not be set');
  });
});

describe('decodeModelInferResult', () => {
  it('infers datatypes without a signature; strings are BYTES, integers INT64, others FP32', () => {
    const res = decodeModelInferResult(json({ a: [[1, 2]], b: [0.5], c: ['x'], d: [true] }), ctx);
    expect(res.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['a', 'INT64', [1, 2]], ['b', 'FP32', [1]], ['c', 'BYTES', [1]], ['d', 'BOOL', [1]],
    ]);
    expect(res.outputs[2]!.contents!.bytes_contents!.map(String)).toEqual(['x']);
  });

  it('keeps the v2 response model_version, else the served version; raw mode writes raw bytes', () => {
    const v2 = { model_version: '7', outputs: [{ name: 'y', datatype: 'INT32', shape: [2], data: [1, -1] }] };
    expect(decodeModelInferResult(json(v2), ctx).model_version).toBe('7');
    const raw = decodeModelInferResult(json({ outputs: v2.outputs }), { ...ctx, raw: true });
    expect(raw.model_version).toBe('1');
    expect(raw.outputs[0]!.contents).toBeUndefined();
    expect([...raw.raw_output_contents[0]!]).toEqual([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  });

  it('fails clearly on non-JSON output and unknown requested outputs', () => {
    expect(() => decodeModelInferResult(Buffer.from('not json'), ctx)).toThrow('model output is not JSON');
    expect(() => decodeModelInferResult(json({ a: [1] }), { ...ctx, requestedOutputs: ['zzz'] })).toThrow('requested output zzz');
  });
});

it('encodeModelMetadata without a signature has empty tensors', () => {
  expect(encodeModelMetadata({ name: 'm', version: '1', versions: ['1', '2'], ready: true, workers: 1, handler: 'h' })).toEqual({
    name: 'm', versions: ['1', '2'], platform: '', inputs: [], outputs: [],
  });
});
