import { describe, expect, it } from 'vitest';
import { decodeList, decodeRegister, decodeScale, decodeUnregister, encodeList } from '../../../../src/protocols/grpc/management-codec.js';

const register = { batch_size: 0, handler: '', initial_workers: 0, max_batch_delay: 0, model_name: '', response_timeout: 0, runtime: '', synchronous: false, url: 'a.mar', s3_sse_kms: false, startup_timeout: 0 };

describe('management codec', () => {
  it('register: zero values are not given, negative ints too', () => {
    expect(decodeRegister(register)).toEqual({ url: 'a.mar', synchronous: false });
    expect(decodeRegister({ ...register, batch_size: -1, initial_workers: 3, synchronous: true })).toEqual({ url: 'a.mar', initialWorkers: 3, synchronous: true });
    expect(() => decodeRegister({ ...register, url: '' })).toThrow('Parameter url is required.');
  });

  it('scale: min defaults to 1 and max to min', () => {
    const base = { model_name: 'm', model_version: '', max_worker: 0, min_worker: 0, number_gpu: 0, synchronous: false, timeout: 0 };
    expect(decodeScale(base).params).toEqual({ minWorker: 1, maxWorker: 1, synchronous: false });
    expect(decodeScale({ ...base, min_worker: 4 }).params).toEqual({ minWorker: 4, maxWorker: 4, synchronous: false });
    expect(decodeScale({ ...base, model_version: '2' }).version).toBe('2');
  });

  it('list: limit <= 0 means 100, negative token 0', () => {
    expect(decodeList({ limit: 0, next_page_token: -3 })).toEqual({ limit: 100, nextPageToken: 0 });
    expect(decodeList({ limit: 7, next_page_token: 2 })).toEqual({ limit: 7, nextPageToken: 2 });
  });

  it('list JSON puts nextPageToken first, omits it on the last page', () => {
    expect(encodeList({ models: [], nextPageToken: '2' })).toBe('{\n  "nextPageToken": "2",\n  "models": []\n}');
    expect(encodeList({ models: [{ modelUrl: 'u', modelName: 'n' }] })).toBe('{\n  "models": [\n    {\n      "modelName": "n",\n      "modelUrl": "u"\n    }\n  ]\n}');
  });

  it('unregister needs a model name', () => {
    expect(() => decodeUnregister({ model_name: '', model_version: '' })).toThrow('Parameter model_name is required.');
  });
});
