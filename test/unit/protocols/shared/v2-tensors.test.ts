import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../../src/errors/index.js';
import type { TensorDatatype } from '../../../../src/inference/types.js';
import {
  DATATYPES, checkShape, checkValues, decodeBytesElements, encodeBytesElements, flattenData, guessDatatype,
  inferShape, isDatatype, rawToValues, valuesToRaw,
} from '../../../../src/protocols/shared/v2-tensors.js';

// One row per OIP datatype: sample values, and the little-endian bytes numpy writes for them.
const CASES: Array<[TensorDatatype, unknown[], number[]]> = [
  ['BOOL', [true, false, true], [1, 0, 1]],
  ['UINT8', [0, 255, 7], [0, 255, 7]],
  ['UINT16', [1, 65535], [1, 0, 255, 255]],
  ['UINT32', [1, 4294967295], [1, 0, 0, 0, 255, 255, 255, 255]],
  ['UINT64', [1, 2 ** 40], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]],
  ['INT8', [-128, 127], [128, 127]],
  ['INT16', [-2, 300], [254, 255, 44, 1]],
  ['INT32', [-1, 16909060], [255, 255, 255, 255, 4, 3, 2, 1]],
  ['INT64', [-1, 2 ** 33], [255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 2, 0, 0, 0]],
  ['FP16', [1, -2, 0.5], [0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38]],
  ['FP32', [1.5, -0.25], [0, 0, 0xc0, 0x3f, 0, 0, 0x80, 0xbe]],
  ['FP64', [1.5], [0, 0, 0, 0, 0, 0, 0xf8, 0x3f]],
  ['BYTES', ['ab', ''], [2, 0, 0, 0, 0x61, 0x62, 0, 0, 0, 0]],
];

describe('v2 datatypes', () => {
  it('covers the 13 datatypes of the Open Inference Protocol with their byte sizes', () => {
    expect(Object.keys(DATATYPES).sort()).toEqual(CASES.map((c) => c[0]).sort());
    expect(DATATYPES.FP16.size).toBe(2);
    expect(DATATYPES.INT64.size).toBe(8);
    expect(DATATYPES.BYTES.size).toBe(0);
    expect(isDatatype('BF16')).toBe(false);
  });

  it.each(CASES)('%s encodes to the little-endian bytes numpy writes and decodes back', (datatype, values, bytes) => {
    const raw = valuesToRaw('x', datatype, values);
    expect([...raw]).toEqual(bytes);
    expect(rawToValues('x', datatype, raw, values.length)).toEqual(values);
  });

  it('rejects values outside the integer range, naming the input and element', () => {
    expect(() => valuesToRaw('pixels', 'UINT8', [1, 256])).toThrow(/input "pixels": element 1 \(256\) is not a valid UINT8/);
    expect(() => checkValues('ids', 'INT32', [1.5])).toThrow(InvalidInputError);
    expect(() => checkValues('ids', 'INT64', [2 ** 63])).toThrow(/INT64/);
    expect(() => checkValues('flags', 'BOOL', ['yes'])).toThrow(/BOOL/);
    expect(() => checkValues('text', 'BYTES', [3])).toThrow(/BYTES/);
  });

  it('rejects raw data whose length does not match the shape', () => {
    expect(() => rawToValues('x', 'FP32', Buffer.alloc(12), 4)).toThrow(/binary data is 12 bytes, FP32 shape expects 16/);
    expect(() => rawToValues('x', 'BYTES', encodeBytesElements([Buffer.from('a')]), 2)).toThrow(/holds 1 BYTES elements, shape expects 2/);
  });
});

describe('FP16', () => {
  // The conversion itself is tested exhaustively in test/unit/util/float16.test.ts.
  it('rounds JSON numbers to the nearest half (ties to even) in the raw form and reads them back', () => {
    const raw = valuesToRaw('x', 'FP16', [6.8, 1.4, 1 + 2 ** -11, 1e6, 2 ** -24]);
    expect([...raw]).toEqual([0xcd, 0x46, 0x9a, 0x3d, 0x00, 0x3c, 0x00, 0x7c, 0x01, 0x00]);
    expect(rawToValues('x', 'FP16', raw)).toEqual([6.80078125, 1.400390625, 1, Infinity, 2 ** -24]);
    expect(rawToValues('x', 'FP16', Buffer.from([0x00, 0x7e]))[0]).toBeNaN();
  });
});

describe('BYTES length prefix', () => {
  it('frames each element as uint32 LE length + bytes and parses it back', () => {
    const raw = encodeBytesElements([Buffer.from('cat'), Buffer.from([0xff, 0x00])]);
    expect([...raw.subarray(0, 4)]).toEqual([3, 0, 0, 0]);
    expect(decodeBytesElements('x', raw).map((b) => [...b])).toEqual([[0x63, 0x61, 0x74], [0xff, 0x00]]);
    expect(rawToValues('x', 'BYTES', raw)).toEqual(['cat', { b64: Buffer.from([0xff, 0x00]).toString('base64') }]);
  });

  it('rejects a prefix that overruns the buffer', () => {
    const raw = Buffer.from([9, 0, 0, 0, 1]);
    expect(() => decodeBytesElements('img', raw)).toThrow(/input "img": BYTES element at byte 0 overruns/);
  });
});

describe('shapes', () => {
  it('flattens nested data row-major and infers the shape', () => {
    expect(flattenData([[1, 2], [3, 4]])).toEqual([1, 2, 3, 4]);
    expect(inferShape([[1, 2, 3], [4, 5, 6]])).toEqual([2, 3]);
    expect(flattenData(5)).toEqual([5]);
  });

  it('checks the element count against the shape, naming the input', () => {
    expect(checkShape('x', [2, 3], 6)).toEqual([2, 3]);
    expect(() => checkShape('input_ids', [2, 3], 5)).toThrow('input "input_ids": shape [2,3] expects 6 elements, got 5');
    expect(() => checkShape('x', [2, 'a'], 2)).toThrow(/shape must be an array of non-negative integers/);
    expect(() => checkShape('x', [-1, -1], 4)).toThrow(/more than one -1/);
  });

  it('resolves one -1 dimension from the data, as KServe samples send for BYTES', () => {
    expect(checkShape('x', [-1], 3)).toEqual([3]);
    expect(checkShape('x', [2, -1], 6)).toEqual([2, 3]);
    expect(() => checkShape('x', [4, -1], 6)).toThrow(/6 elements do not fit shape/);
  });

  it('guesses datatypes of undeclared outputs', () => {
    expect(guessDatatype([1, 2])).toBe('INT64');
    expect(guessDatatype([1, 2.5])).toBe('FP32');
    expect(guessDatatype([true])).toBe('BOOL');
    expect(guessDatatype(['a'])).toBe('BYTES');
  });
});
