import { describe, expect, it } from 'vitest';
import { toPlainValues, toTensorData } from '../../../../src/handlers/onnx/tensor-codec.js';

describe('float16 inputs and outputs of the onnx handler', () => {
  const spec = { name: 'x', type: 'float16' as const, shape: [5] };

  it('encodes JSON numbers as IEEE half bits, rounding to nearest even (as torch .half() does)', () => {
    const data = toTensorData(spec, [1, -2, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 1e6]) as Uint16Array;
    expect(data).toBeInstanceOf(Uint16Array);
    expect([...data]).toEqual([0x3c00, 0xc000, 0x3c00, 0x3c02, 0x7c00]);
  });

  it('rejects non-numbers, naming the input', () => {
    expect(() => toTensorData(spec, [1, '2'])).toThrow(/Input 'x' expects FP16 \(float16\) values, got "2" \(string\)/);
  });

  it('decodes half outputs to JSON numbers', () => {
    expect(toPlainValues('float16', Uint16Array.of(0x3c00, 0xc100, 0x0001, 0x7bff, 0x8000))).toEqual([1, -2.5, 2 ** -24, 65504, -0]);
    expect(toPlainValues('float16', Uint16Array.of(0x7e00))[0]).toBeNaN();
  });
});
