import { describe, expect, it } from 'vitest';
import {
  bodyContentType,
  bodyParameters,
  decodeInferenceRequest,
  encodeInferenceResult,
  requestHeaders,
  restJson,
} from '../../../../src/protocols/torchserve/codec.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const text = (u: Uint8Array) => Buffer.from(u).toString('utf8');

function multipart(boundary: string, parts: { headers: string[]; body: string | Buffer }[]): Buffer {
  const chunks: Buffer[] = [Buffer.from('preamble to ignore\r\n')];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\n${p.headers.join('\r\n')}\r\n\r\n`));
    chunks.push(Buffer.isBuffer(p.body) ? p.body : Buffer.from(p.body));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

describe('torchserve codec: body -> parameters', () => {
  it('a raw JSON body is one "body" parameter with the MIME type, parameters stripped', () => {
    const [p, ...rest] = bodyParameters('application/json; charset=utf-8', bytes('{"data": "test"}'));
    expect(rest).toEqual([]);
    expect(p!.name).toBe('body');
    expect(p!.contentType).toBe('application/json');
    expect(text(p!.value)).toBe('{"data": "test"}');
  });

  it('text, binary and missing content types keep the bytes exactly', () => {
    const bin = new Uint8Array([0, 255, 1, 254]);
    expect(bodyParameters('application/octet-stream', bin)).toEqual([{ name: 'body', contentType: 'application/octet-stream', value: bin }]);
    expect(bodyParameters('text/plain', bytes('héllo'))[0]!.value).toEqual(bytes('héllo'));
    expect(bodyParameters(undefined, new Uint8Array())).toEqual([{ name: 'body', contentType: '', value: new Uint8Array() }]);
  });

  it('the MIME type is the text before ";", neither trimmed nor lower-cased', () => {
    expect(bodyContentType('Image/PNG ;q=1')).toBe('Image/PNG ');
    expect(bodyContentType(undefined)).toBe('');
  });

  it('urlencoded bodies become one parameter per field, URL-decoded, without content type', () => {
    const params = bodyParameters('Application/X-WWW-Form-Urlencoded', bytes('data=test&x=a%20b+c&data=%C3%A9'));
    expect(params.map((p) => [p.name, p.contentType, text(p.value)])).toEqual([
      ['data', '', 'test'],
      ['x', '', 'a b c'],
      ['data', '', 'é'],
    ]);
  });

  it('multipart: file parts keep their content type (octet-stream when absent), fields have none, order kept', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x2d, 0x2d]);
    const body = multipart('XyZ', [
      { headers: ['Content-Disposition: form-data; name="model_name"'], body: 'noop' },
      { headers: ['Content-Disposition: form-data; name="data"; filename="kitten.png"', 'Content-Type: Image/PNG; foo=bar'], body: png },
      { headers: ['content-disposition: form-data; name="raw"; filename="a;b.bin"'], body: 'abc' },
      { headers: ['Content-Disposition: form-data; name="empty"'], body: '' },
      { headers: ['Content-Disposition: form-data; name="model_name"'], body: 'second' },
    ]);
    const params = bodyParameters('multipart/form-data; boundary="XyZ"', body);
    expect(params.map((p) => [p.name, p.contentType])).toEqual([
      ['model_name', ''],
      ['data', 'Image/PNG'],
      ['raw', 'application/octet-stream'],
      ['empty', ''],
      ['model_name', ''],
    ]);
    expect(Buffer.from(params[1]!.value).equals(png)).toBe(true);
    expect(text(params[0]!.value)).toBe('noop');
    expect(text(params[2]!.value)).toBe('abc');
    expect(params[3]!.value.length).toBe(0);
  });

  it('a multipart body whose boundary never appears is a 400 BadRequest', () => {
    expect(() => bodyParameters('multipart/form-data; boundary=nope', bytes('hello'))).toThrow(/Invalid multipart/);
  });
});

describe('torchserve codec: request and result', () => {
  it('headers: lower-cased names, a later duplicate wins, injected headers added last', () => {
    const h = requestHeaders(['X-Foo', 'a', 'Content-Type', 'text/plain', 'x-foo', 'b', 'explain', 'spoofed'], { url_path: '', explain: 'False' });
    expect(h).toEqual({ 'x-foo': 'b', 'content-type': 'text/plain', url_path: '', explain: 'False' });
  });

  it('query parameters come before body parameters when forwarded', () => {
    const req = decodeInferenceRequest({
      requestId: 'id-1',
      rawHeaders: ['Content-Type', 'application/json'],
      body: bytes('{}'),
      query: [['data', 'test'], ['k', 'v']],
    });
    expect(req.requestId).toBe('id-1');
    expect(req.parameters.map((p) => p.name)).toEqual(['data', 'k', 'body']);
    expect(text(req.parameters[0]!.value)).toBe('test');
  });

  it('a result without content type encodes to none; a content-type header counts as one', () => {
    expect(encodeInferenceResult({ status: 200, headers: { dummy: '1' }, body: bytes('x') }).contentType).toBeUndefined();
    const enc = encodeInferenceResult({ status: 599, headers: { 'Content-Type': 'text/plain', dummy: '1' }, body: bytes('x') });
    expect(enc).toMatchObject({ status: 599, contentType: 'text/plain', headers: { dummy: '1' } });
  });

  it('REST JSON is 2-space pretty with a trailing newline and drops nulls in objects', () => {
    expect(restJson({ a: 1, b: null, c: [null, 2], d: {} })).toBe('{\n  "a": 1,\n  "c": [\n    null,\n    2\n  ],\n  "d": {}\n}\n');
  });
});
