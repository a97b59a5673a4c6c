import { describe, expect, it } from 'vitest';
import { readRawTensor, writeRawTensor } from '../../../../src/protocols/grpc/tensor-bytes.js';
import type { TensorDatatype } from '../../../../src/inference/types.js';

describe('raw tensor bytes', () => {
  it.each<[TensorDatatype, unknown[], number[]]>([
    ['BOOL', [true, false], [1, 0]],
    ['INT8', [-1, 2], [0xff, 2]],
    ['UINT16', [258], [2, 1]],
    ['INT32', [-2], [0xfe, 0xff, 0xff, 0xff]],
    ['FP32', [1], [0, 0, 0x80, 0x3f]],
    ['INT64', [-2n], [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['UINT64', [2n ** 64n - 1n], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
    ['FP16', [-2], [0x00, 0xc0]],
  ])('%s little-endian round trip', (datatype, values, bytes) => {
    expect([...writeRawTensor(datatype, values)]).toEqual(bytes);
    expect(readRawTensor(datatype, Uint8Array.from(bytes), 't')).toEqual(values);
  });

  it('BYTES elements carry a 4-byte length', () => {
    const raw = writeRawTensor('BYTES', ['ab', '']);
    expect([...raw]).toEqual([2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0]);
    expect(readRawTensor('BYTES', raw, 't').map((e) => Buffer.from(e as Uint8Array).toString())).toEqual(['ab', '']);
  });

  it('rejects truncated or misaligned data, naming the input', () => {
    expect(() => readRawTensor('FP32', new Uint8Array(6), 'pixels')).toThrow('raw content of input pixels has 6 bytes, not a multiple of 4 (FP32)');
    expect(() => readRawTensor('BYTES', Uint8Array.from([5, 0, 0, 0, 1]), 'p')).toThrow('truncated');
  });

  it('FP16 elements are IEEE halves rounded to nearest even (conversion tested in util/float16)', () => {
    const raw = writeRawTensor('FP16', [0.1, 65504, 1e6, 1 + 2 ** -11, 2 ** -24]);
    expect([...raw]).toEqual([0x66, 0x2e, 0xff, 0x7b, 0x00, 0x7c, 0x00, 0x3c, 0x01, 0x00]);
    expect(readRawTensor('FP16', raw, 't')).toEqual([0.0999755859375, 65504, Infinity, 1, 2 ** -24]);
    expect(readRawTensor('FP16', Uint8Array.of(0x00, 0x7e), 't')[0]).toBeNaN();
  });
});
