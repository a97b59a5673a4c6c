import { describe, expect, it } from 'vitest';
import {
  decodeListParams,
  decodeRegisterParams,
  decodeScaleParams,
  parseJavaInt,
  queryParamSource,
  registerParamSource,
} from '../../../../src/protocols/torchserve/management-codec.js';

const q = (s: string) => queryParamSource(`/models?${s}`);

describe('management codec', () => {
  it('Java int/boolean coercions', () => {
    expect([parseJavaInt('12'), parseJavaInt('+3'), parseJavaInt('-1'), parseJavaInt('dd'), parseJavaInt('1.5'), parseJavaInt(''), parseJavaInt('99999999999')]).toEqual([
      12, 3, -1, undefined, undefined, undefined, undefined,
    ]);
  });

  it('register: url required; synchronous defaults to true; malformed ints count as not given', () => {
    expect(() => decodeRegisterParams(q('model_name=x'))).toThrow('Parameter url is required.');
    expect(decodeRegisterParams(q('url=noop.mar'))).toEqual({ url: 'noop.mar', synchronous: true });
    expect(decodeRegisterParams(q('url=r.mar&batch_size=dd&max_batch_delay=junk&initial_workers=1&synchronous=-1'))).toEqual({
      url: 'r.mar',
      initialWorkers: 1,
      synchronous: false,
    });
    expect(decodeRegisterParams(q('url=&model_name=m')).url).toBe('');
  });

  it('register from a JSON body ignores the query and coerces numbers/strings', () => {
    const body = new TextEncoder().encode(JSON.stringify({ url: 'a.mar', model_name: 'a', initial_workers: 2, batch_size: '4', synchronous: 'TRUE' }));
    const src = registerParamSource('/models?url=ignored.mar&initial_workers=9', 'application/json; charset=utf-8', body);
    expect(decodeRegisterParams(src)).toEqual({ url: 'a.mar', modelName: 'a', initialWorkers: 2, batchSize: 4, synchronous: true });
    expect(() => registerParamSource('/models', 'application/json', new TextEncoder().encode('{bad'))).toThrow(/Invalid JSON body/);
  });

  it('scale: min 1, max = min, synchronous false; model_version only when not in the path', () => {
    expect(decodeScaleParams(q(''), undefined)).toEqual({ version: undefined, params: { minWorker: 1, maxWorker: 1, synchronous: false } });
    expect(decodeScaleParams(q('min_worker=nan&synchronous=nan'), undefined).params).toEqual({ minWorker: 1, maxWorker: 1, synchronous: false });
    expect(decodeScaleParams(q('min_worker=3&synchronous=true&model_version=2.0'), undefined)).toEqual({
      version: '2.0',
      params: { minWorker: 3, maxWorker: 3, synchronous: true },
    });
    expect(decodeScaleParams(q('min_worker=2&max_worker=1&model_version=2.0'), '1.0')).toEqual({
      version: '1.0',
      params: { minWorker: 2, maxWorker: 1, synchronous: false },
    });
  });

  it('list: limit out of range or malformed -> 100, negative token -> 0', () => {
    expect(decodeListParams(q('limit=&next_page_token='))).toEqual({ limit: 100, nextPageToken: 0 });
    expect(decodeListParams(q('limit=-1&next_page_token=-1'))).toEqual({ limit: 100, nextPageToken: 0 });
    expect(decodeListParams(q('limit=101'))).toEqual({ limit: 100, nextPageToken: 0 });
    expect(decodeListParams(q('limit=0&next_page_token=12'))).toEqual({ limit: 0, nextPageToken: 12 });
  });
});
