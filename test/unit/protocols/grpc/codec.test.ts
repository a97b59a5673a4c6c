import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../../src/errors/index.js';
import { decodePredictionsRequest, encodeErrorInfo, encodeHealth, inputContentType, sequenceHeaders } from '../../../../src/protocols/grpc/codec.js';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('inputContentType', () => {
  it.each([
    ['data', ' \n{"a":1}', 'application/json'],
    ['body', '[1,2]', 'application/json'],
    ['data', '{not json but braced', 'application/json'],
    ['data', '"a string"', ''],
    ['data', '42', ''],
    ['data', '\x89PNG', ''],
    ['data', '', ''],
    ['instances', '{"a":1}', ''],
  ])('%s=%j -> %j', (name, value, expected) => {
    expect(inputContentType(name, b(value))).toBe(expected);
  });
});

describe('decodePredictionsRequest', () => {
  it('maps every input to a parameter, empty version to default', () => {
    const d = decodePredictionsRequest({ model_name: 'm', model_version: '', input: { data: b('{}'), k: b('v') } }, 'id-1');
    expect(d.model).toBe('m');
    expect(d.version).toBeUndefined();
    expect(d.request.requestId).toBe('id-1');
    expect(d.request.parameters.map((p) => [p.name, p.contentType])).toEqual([['data', 'application/json'], ['k', '']]);
  });

  it('rejects an empty model_name', () => {
    expect(() => decodePredictionsRequest({ model_name: '', model_version: '', input: {} }, 'x')).toThrow(BadRequestError);
  });
});

describe('sequenceHeaders', () => {
  const ids = () => 'u1';
  it('requires an id unless the start flag is set', () => {
    expect(() => sequenceHeaders({ model_name: 'm', model_version: '', input: {} }, ids)).toThrow('Parameter sequenceId is required.');
    expect(sequenceHeaders({ model_name: 'm', model_version: '', input: { ts_request_sequence_start: b('True') } }, ids)).toEqual({
      ts_request_sequence_id: 'ts-seq-u1',
      ts_request_sequence_start: 'true',
    });
  });
  it('passes the end flag only when it is true', () => {
    const msg = (end: string) => ({ model_name: 'm', model_version: '', sequence_id: 's', input: { ts_request_sequence_end: b(end) } });
    expect(sequenceHeaders(msg('true'), ids)).toEqual({ ts_request_sequence_id: 's', ts_request_sequence_end: 'true' });
    expect(sequenceHeaders(msg('false'), ids)).toEqual({ ts_request_sequence_id: 's' });
  });
});

it('encodeHealth is Gson pretty JSON without a trailing newline', () => {
  expect(encodeHealth(true).health).toBe('{\n  "status": "Healthy"\n}');
  expect(encodeHealth(false).health).toBe('{\n  "status": "Unhealthy"\n}');
});

it('encodeErrorInfo decodes as google.rpc.ErrorInfo (long reasons need multi-byte lengths)', () => {
  const type = protobuf.parse('syntax = "proto3"; package google.rpc; message ErrorInfo { string reason = 1; string domain = 2; }').root.lookupType('google.rpc.ErrorInfo');
  const reason = `org.pytorch.serve.http.${'X'.repeat(200)}`;
  expect(type.toObject(type.decode(encodeErrorInfo(reason)))).toEqual({ reason });
});
