import { describe, expect, it } from 'vitest';
import type { InferenceRequest } from '../../../../src/inference/types.js';
import { createEnvelopePredict, decodeEnvelope, encodeEnvelope } from '../../../../src/protocols/shared/envelope.js';
import { bodyOf, fakeInference, jsonResult } from '../../../integration/kserve/fake-inference.js';

function predictionsRequest(body: unknown, headers: Record<string, string> = {}): InferenceRequest {
  return {
    requestId: 'req-1',
    headers: { 'content-type': 'application/json', ...headers },
    parameters: [{ name: 'body', contentType: 'application/json', value: Buffer.from(JSON.stringify(body)) }],
  };
}

const doubler = () =>
  fakeInference([{ name: 'mnist', handler: (req) => jsonResult((bodyOf(req) as { x: number }).x * 2) }]);

describe('decodeEnvelope / encodeEnvelope', () => {
  it('kserve: one request per instance, one prediction per result', () => {
    const decoded = decodeEnvelope('kserve', Buffer.from('{"instances":[{"x":1},{"b64":"AAE="}]}'), 'application/json');
    expect(decoded.requests).toHaveLength(2);
    expect(decoded.requests[0]![0]).toMatchObject({ name: 'body', contentType: 'application/json' });
    expect(Buffer.from(decoded.requests[1]![0]!.value)).toEqual(Buffer.from([0, 1]));
    const reply = encodeEnvelope(decoded, [{ kind: 'json', value: 7 }, { kind: 'text', text: 'cat' }], { explain: false, modelName: 'm', modelVersion: '1.0', requestId: 'r' });
    expect(Buffer.from(reply.body!).toString()).toBe('{"predictions":[7,"cat"]}');
    const explained = encodeEnvelope(decoded, [{ kind: 'json', value: 1 }], { explain: true, modelName: 'm', modelVersion: '1.0', requestId: 'r' });
    expect(Buffer.from(explained.body!).toString()).toBe('{"explanations":[1]}');
  });

  it('kservev2: one request whose body is the v2 JSON, answered as an OIP response', () => {
    const decoded = decodeEnvelope('kservev2', Buffer.from('{"id":"a","inputs":[{"name":"x","shape":[2],"datatype":"INT32","data":[1,2]}]}'), 'application/json');
    expect(decoded.requests).toHaveLength(1);
    expect(JSON.parse(Buffer.from(decoded.requests[0]![0]!.value).toString()).inputs[0].data).toEqual([1, 2]);
    const reply = encodeEnvelope(decoded, [{ kind: 'json', value: { y: [3] } }], { explain: false, modelName: 'm', modelVersion: '1.0', requestId: 'r' });
    expect(JSON.parse(Buffer.from(reply.body!).toString())).toEqual({
      model_name: 'm', model_version: '1.0', id: 'a', parameters: null,
      outputs: [{ name: 'y', shape: [1], datatype: 'INT64', parameters: null, data: [3] }],
    });
  });

  it('rejects a kserve body without an instances list', () => {
    expect(() => decodeEnvelope('kserve', Buffer.from('{"instances":3}'), 'application/json')).toThrow('Expected "instances" to be a list');
    expect(() => decodeEnvelope('kserve', Buffer.from('not json'), 'text/plain')).toThrow(/Unrecognized request format/);
  });
});

describe('createEnvelopePredict', () => {
  it('kserve: a body of 4 instances gives 4 predictions, run as one batch of 4 (TorchServe keeps only the first)', async () => {
    const inference = doubler();
    const predict = createEnvelopePredict(inference, 'kserve');
    const result = await predict('mnist', undefined, predictionsRequest({ instances: [{ x: 1 }, { x: 2 }, { x: 3 }, { x: 4 }] }));
    expect(result.status).toBe(200);
    expect(result.contentType).toBe('application/json');
    expect(JSON.parse(Buffer.from(result.body!).toString())).toEqual({ predictions: [2, 4, 6, 8] });
    expect(inference.calls).toHaveLength(4);
    expect(inference.batches).toEqual([4]);
    expect(new Set(inference.calls.map((c) => c.request.requestId)).size).toBe(4);
    expect(inference.calls[0]!.request.requestId).toBe('req-1');
  });

  it('kserve: explanations when the route asks for the explain path', async () => {
    const inference = doubler();
    const result = await createEnvelopePredict(inference, 'kserve')('mnist', undefined, predictionsRequest({ instances: [{ x: 5 }] }), { explain: true });
    expect(JSON.parse(Buffer.from(result.body!).toString())).toEqual({ explanations: [10] });
    expect(inference.calls[0]!.options.explain).toBe(true);
  });

  it('kservev2: output datatypes from the model signature and the version of the resolved model', async () => {
    const inference = fakeInference([
      {
        name: 'iris',
        version: '2.0',
        signature: { inputs: [], outputs: [{ name: 'label', datatype: 'INT32', shape: [-1] }] },
        handler: (req) => jsonResult({ label: (bodyOf(req) as { inputs: Array<{ data: number[] }> }).inputs[0]!.data.map((v) => v + 1) }),
      },
    ]);
    const result = await createEnvelopePredict(inference, 'kservev2')(
      'iris',
      undefined,
      predictionsRequest({ inputs: [{ name: 'x', shape: [3], datatype: 'INT32', data: [1, 2, 3] }] }),
    );
    expect(JSON.parse(Buffer.from(result.body!).toString())).toEqual({
      model_name: 'iris', model_version: '2.0', id: 'req-1', parameters: null,
      outputs: [{ name: 'label', shape: [3], datatype: 'INT32', parameters: null, data: [2, 3, 4] }],
    });
  });

  it('kservev2: reads binary tensors when the header name keeps the client\'s case', async () => {
    const inference = fakeInference([{ name: 'm', handler: (req) => jsonResult({ y: (bodyOf(req) as { inputs: Array<{ data: number[] }> }).inputs[0]!.data }) }]);
    const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [2], datatype: 'UINT16', parameters: { binary_data_size: 4 } }] }));
    const request: InferenceRequest = {
      requestId: 'r',
      headers: { 'Inference-Header-Content-Length': String(header.length) },
      parameters: [{ name: 'body', contentType: 'application/octet-stream', value: Buffer.concat([header, Buffer.from([1, 0, 2, 1])]) }],
    };
    const result = await createEnvelopePredict(inference, 'kservev2')('m', undefined, request);
    expect(JSON.parse(Buffer.from(result.body!).toString()).outputs[0].data).toEqual([1, 258]);
  });

  it('fails the whole request when one instance fails, with the handler-chosen status', async () => {
    const inference = fakeInference([
      { name: 'm', handler: (req) => ((bodyOf(req) as number) === 2 ? jsonResult('bad instance', 422) : jsonResult(1)) },
    ]);
    await expect(createEnvelopePredict(inference, 'kserve')('m', undefined, predictionsRequest({ instances: [1, 2, 3] }))).rejects.toMatchObject({
      status: 422,
      message: '"bad instance"',
    });
  });
});
