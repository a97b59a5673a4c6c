import { describe, expect, it } from 'vitest';
import { decodeParameter, decodeRequest, encodeValue } from '../../../src/workers/request-codec.js';

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('worker request decoding (TorchServe Python rules)', () => {
  it.each([
    ['application/json', '{"a":1}', { a: 1 }],
    ['text/plain', 'hi', 'hi'],
    ['text/csv', 'a,b', 'a,b'],
  ])('%s is decoded', (contentType, raw, expected) => {
    expect(decodeParameter({ name: 'body', contentType, value: bytes(raw) })).toEqual(expected);
  });

  it('invalid JSON, JSON with parameters and other types stay bytes', () => {
    for (const contentType of ['application/json', 'application/json; charset=utf-8', '', 'image/png']) {
      const v = decodeParameter({ name: 'b', contentType, value: bytes(contentType === 'application/json' ? '{bad' : '{"a":1}') });
      expect(Buffer.isBuffer(v)).toBe(true);
    }
  });

  it('body is the body parameter, else data, else the first; the last duplicate wins', () => {
    const p = (name: string, v: string) => ({ name, contentType: 'text/plain', value: bytes(v) });
    expect(decodeRequest({ requestId: 'r', headers: {}, explain: false, parameters: [p('x', '1'), p('body', '2')] }).body).toBe('2');
    expect(decodeRequest({ requestId: 'r', headers: {}, explain: false, parameters: [p('x', '1'), p('data', '3')] }).body).toBe('3');
    const r = decodeRequest({ requestId: 'r', headers: { h: 'v' }, explain: false, parameters: [p('x', '1'), p('x', '4')] });
    expect(r.body).toBe('4');
    expect(r.parameters).toEqual({ x: '4' });
    expect(r.headers).toEqual({ h: 'v' });
    expect(decodeRequest({ requestId: 'r', headers: {}, explain: false, parameters: [] }).body).toBeUndefined();
  });
});

describe('worker result encoding', () => {
  it('strings are UTF-8, bytes are raw copies, values are 2-space JSON without newline', () => {
    expect(text(encodeValue('héllo'))).toBe('héllo');
    const src = Buffer.from('abc');
    const out = encodeValue(src);
    expect(text(out)).toBe('abc');
    expect(out.buffer).not.toBe(src.buffer);
    expect(out.byteLength).toBe(out.buffer.byteLength);
    expect(text(encodeValue({ a: [1, 2] }))).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
    expect(text(encodeValue(undefined))).toBe('null');
  });

  it('values JSON cannot represent fail with TorchServe message', () => {
    expect(() => encodeValue({ n: 1n })).toThrow('Unsupported model output data type.');
  });
});
