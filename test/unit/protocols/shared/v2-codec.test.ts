import { describe, expect, it } from 'vitest';
import { InternalServerError, InvalidInputError } from '../../../../src/errors/index.js';
import type { ModelSignature } from '../../../../src/inference/types.js';
import { splitBody } from '../../../../src/protocols/shared/v2-binary.js';
import { encodeV2Response, handlerBody, outputsFromResult, parseV2Request, type V2Request } from '../../../../src/protocols/shared/v2-codec.js';

// KServe's golden vectors (python/kserve/test/test_server.py): FP16 bytes as numpy writes them.
const FP16_GOLDEN = Buffer.from([0xcd, 0x46, 0x9a, 0x41, 0xcd, 0x44, 0x9a, 0x3d, 0x00, 0x46, 0xcd, 0x42, 0x80, 0x44, 0x66, 0x3e]);
const VALUES = [6.8, 2.8, 4.8, 1.4, 6.0, 3.4, 4.5, 1.6];
const FP32_JSON = '[6.800000190734863,2.799999952316284,4.800000190734863,1.399999976158142,6.0,3.4000000953674316,4.5,1.600000023841858]';
const SIGNATURE: ModelSignature = {
  inputs: [{ name: 'fp32_input', datatype: 'FP32', shape: [2, 4] }],
  outputs: [
    { name: 'fp16_output', datatype: 'FP16', shape: [8] },
    { name: 'fp32_output', datatype: 'FP32', shape: [8] },
  ],
};
// What an ONNX handler returns: float32 values widened to JS numbers.
const HANDLER_RESULT = { kind: 'json' as const, value: { fp16_output: VALUES, fp32_output: VALUES.map(Math.fround) } };
const META = { modelName: 'FP16OutputModel', modelVersion: null, id: '123' };
const fp32Input = { name: 'fp32_input', shape: [2, 4], datatype: 'FP32', data: [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]] };

function request(header: object, binary: Buffer = Buffer.alloc(0)): V2Request {
  const json = Buffer.from(JSON.stringify(header));
  return parseV2Request(splitBody(Buffer.concat([json, binary]), binary.length > 0 ? String(json.length) : undefined, 'application/json'));
}

describe('parseV2Request', () => {
  it('flattens nested JSON data and keeps id, parameters and requested outputs', () => {
    const req = request({ id: 'r1', parameters: { p: 1 }, inputs: [fp32Input], outputs: [{ name: 'fp32_output' }] });
    expect(req.id).toBe('r1');
    expect(req.inputs[0]).toEqual({ name: 'fp32_input', datatype: 'FP32', shape: [2, 4], data: [6.8, 2.8, 4.8, 1.4, 6, 3.4, 4.5, 1.6] });
    expect(JSON.parse(handlerBody(req).toString())).toEqual({
      id: 'r1',
      parameters: { p: 1 },
      inputs: [{ name: 'fp32_input', datatype: 'FP32', shape: [2, 4], data: [6.8, 2.8, 4.8, 1.4, 6, 3.4, 4.5, 1.6] }],
      outputs: [{ name: 'fp32_output' }],
    });
  });

  it('decodes an FP16 binary input next to a BYTES JSON input (KServe test_fp16_input_as_binary_data)', () => {
    const req = request(
      {
        id: '123',
        inputs: [
          { name: 'fp16_input', shape: [2, 4], datatype: 'FP16', parameters: { binary_data_size: 16 } },
          { name: 'str_input', shape: [2, 4], datatype: 'BYTES', data: [['cat', 'dog', 'cat', 'dog'], ['cat', 'dog', 'cat', 'dog']] },
        ],
      },
      FP16_GOLDEN,
    );
    expect(req.inputs[0]!.data).toEqual([6.80078125, 2.80078125, 4.80078125, 1.400390625, 6, 3.400390625, 4.5, 1.599609375]);
    expect(req.inputs[0]!.parameters).toBeUndefined(); // binary_data_size is transport detail
    expect(req.inputs[1]!.data).toHaveLength(8);
  });

  it.each([
    [{ inputs: [{ name: 'h', shape: [1], datatype: 'FP16', data: [1.5] }] }, /input "h": FP16 data cannot be sent as JSON/],
    [{ inputs: [] }, /Expected "inputs" to be a non-empty list/],
    [{ inputs: [{ name: 'x', shape: [3], datatype: 'FP32', data: [1, 2] }] }, /input "x": shape \[3\] expects 3 elements, got 2/],
    [{ inputs: [{ name: 'x', shape: [1], datatype: 'FLOAT', data: [1] }] }, /input "x": unsupported datatype "FLOAT"/],
    [{ inputs: [{ name: 'x', shape: [1], datatype: 'FP32' }] }, /input "x": "data" is required/],
    [{ inputs: [{ name: 'x', shape: [1], datatype: 'INT8', data: [1] }, { name: 'x', shape: [1], datatype: 'INT8', data: [1] }] }, /appears more than once/],
  ])('rejects %j', (header, message) => {
    expect(() => request(header)).toThrow(message);
    expect(() => request(header)).toThrow(InvalidInputError);
  });

  it('rejects binary sizes that overrun the body or leave bytes unclaimed', () => {
    const input = (size: number) => ({ inputs: [{ name: 'b', shape: [4], datatype: 'UINT8', parameters: { binary_data_size: size } }] });
    expect(() => request(input(8), Buffer.alloc(4))).toThrow(/input "b": binary_data_size 8 exceeds the 4 bytes left/);
    expect(() => request(input(4), Buffer.alloc(6))).toThrow(/2 bytes of binary data are not claimed/);
    expect(() => splitBody(Buffer.from('{}xx'), undefined, 'application/octet-stream')).toThrow(/header is missing/);
  });
});

describe('encodeV2Response', () => {
  it('writes KServe\'s pure-JSON body byte for byte (test_requested_output)', () => {
    const req = request({ id: '123', inputs: [fp32Input], outputs: [{ name: 'fp32_output', parameters: { binary_data: false } }] });
    const enc = encodeV2Response(META, outputsFromResult(HANDLER_RESULT, SIGNATURE), req);
    expect(enc.contentType).toBe('application/json');
    expect(enc.headerLength).toBeUndefined();
    expect(enc.body.toString()).toBe(
      `{"model_name":"FP16OutputModel","model_version":null,"id":"123","parameters":null,"outputs":[{"name":"fp32_output","shape":[8],"datatype":"FP32","parameters":null,"data":${FP32_JSON}}]}`,
    );
  });

  it('writes KServe\'s binary body with Inference-Header-Content-Length 345 (test_fp16_output_as_binary_data)', () => {
    const req = request({
      id: '123',
      inputs: [fp32Input],
      outputs: [{ name: 'fp16_output', parameters: { binary_data: true } }, { name: 'fp32_output', parameters: { binary_data: false } }],
      parameters: { binary_data_output: true }, // ignored once outputs are listed (KServe)
    });
    const enc = encodeV2Response(META, outputsFromResult(HANDLER_RESULT, SIGNATURE), req);
    const header =
      '{"id":"123","model_name":"FP16OutputModel","model_version":null,"outputs":[{"name":"fp16_output","shape":[8],"datatype":"FP16","parameters":{"binary_data_size":16}},' +
      `{"name":"fp32_output","shape":[8],"datatype":"FP32","data":${FP32_JSON}}]}`;
    expect(enc.headerLength).toBe(345);
    expect(enc.body.subarray(0, 345).toString()).toBe(header);
    expect(enc.body.subarray(345)).toEqual(FP16_GOLDEN);
    expect(enc.contentType).toBe('application/octet-stream');
  });

  it('returns every output as binary with binary_data_output (test_all_output_as_binary_data: header 256)', () => {
    const req = request({ id: '123', inputs: [fp32Input], parameters: { binary_data_output: true } });
    const enc = encodeV2Response(META, outputsFromResult(HANDLER_RESULT, SIGNATURE), req);
    expect(enc.headerLength).toBe(256);
    const fp32 = Buffer.alloc(32);
    VALUES.forEach((v, i) => fp32.writeFloatLE(v, i * 4));
    expect(enc.body.subarray(256)).toEqual(Buffer.concat([FP16_GOLDEN, fp32]));
  });

  it('refuses FP16 outputs without binary data and unknown requested outputs (400)', () => {
    const fp16Json = request({ inputs: [fp32Input], outputs: [{ name: 'fp16_output' }] });
    expect(() => encodeV2Response(META, outputsFromResult(HANDLER_RESULT, SIGNATURE), fp16Json)).toThrow(/output "fp16_output" is FP16/);
    const unknown = request({ inputs: [fp32Input], outputs: [{ name: 'nope' }] });
    expect(() => encodeV2Response(META, outputsFromResult(HANDLER_RESULT, SIGNATURE), unknown)).toThrow(/output "nope" is not an output of model "FP16OutputModel"/);
  });

  it('reports handler values that do not fit the declared datatype as a server error', () => {
    const req = request({ inputs: [fp32Input], parameters: { binary_data_output: true } });
    const outputs = outputsFromResult({ kind: 'json', value: { y: [1.5] } }, { inputs: [], outputs: [{ name: 'y', datatype: 'INT32', shape: [1] }] });
    expect(() => encodeV2Response(META, outputs, req)).toThrow(InternalServerError);
  });
});

describe('outputsFromResult', () => {
  it('maps {name: nestedArray} to tensors with inferred shapes and guessed datatypes', () => {
    expect(outputsFromResult({ kind: 'json', value: { probs: [[0.1, 0.9]], label: [1] } })).toEqual([
      { name: 'probs', datatype: 'FP32', shape: [1, 2], data: [0.1, 0.9] },
      { name: 'label', datatype: 'INT64', shape: [1], data: [1] },
    ]);
  });

  it('accepts v2-shaped handler results and plain values', () => {
    const v2 = { outputs: [{ name: 'o', datatype: 'INT32', shape: [2, 1], data: [3, 4] }] };
    expect(outputsFromResult({ kind: 'json', value: v2 })).toEqual([{ name: 'o', datatype: 'INT32', shape: [2, 1], data: [3, 4] }]);
    expect(outputsFromResult({ kind: 'json', value: 2 })).toEqual([{ name: 'output-0', datatype: 'INT64', shape: [1], data: [2] }]);
  });

  it('returns image bytes as one BYTES element: base64 in JSON, raw with binary output', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff]);
    const outputs = outputsFromResult({ kind: 'bytes', bytes: png });
    const json = encodeV2Response(META, outputs, request({ inputs: [fp32Input] }));
    expect(JSON.parse(json.body.toString()).outputs[0]).toEqual({ name: 'output-0', shape: [1], datatype: 'BYTES', parameters: null, data: [png.toString('base64')] });
    const bin = encodeV2Response(META, outputs, request({ inputs: [fp32Input], parameters: { binary_data_output: true } }));
    expect(bin.body.subarray(bin.headerLength!)).toEqual(Buffer.concat([Buffer.from([5, 0, 0, 0]), png]));
  });
});
