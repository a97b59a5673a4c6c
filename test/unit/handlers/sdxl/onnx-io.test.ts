import { describe, expect, it } from 'vitest';
import { fromHalfBits, toHalfBits } from '../../../../src/handlers/sdxl/float16.js';
import { FloatFeed, idsTensor, readFloat, timestepTensor } from '../../../../src/handlers/sdxl/onnx-session.js';

describe('float16 conversion', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [70000, 0x7c00],
    [2 ** -24, 0x0001],
    [1e-9, 0x0000],
    [1 + 2 ** -11, 0x3c00], // halfway: ties to even
    [1 + 3 * 2 ** -11, 0x3c02],
  ])('%f ↔ 0x%s', (value, bits) => {
    expect(toHalfBits(value)).toBe(bits);
  });
  it('NaN stays NaN; round trip of representable values is exact', () => {
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
    for (const v of [0.125, -3.5, 1024, 6.103515625e-5]) expect(fromHalfBits(toHalfBits(v))).toBe(v);
  });
});

describe('tensor adaptation to the model metadata', () => {
  it('timestep: 0-d float (optimum ≥ 1.24), int64 [1] (older optimum), float [1] (Olive), fp16', () => {
    const scalar = timestepTensor({ name: 'timestep', type: 'float32', shape: [] }, 958);
    expect(scalar.dims).toEqual([]);
    expect(Array.from(scalar.data as Float32Array)).toEqual([958]);
    const int = timestepTensor({ name: 'timestep', type: 'int64', shape: ['steps'] }, 958);
    expect(int.dims).toEqual([1]);
    expect((int.data as BigInt64Array)[0]).toBe(958n);
    const olive = timestepTensor({ name: 'timestep', type: 'float32', shape: ['unet_time_batch'] }, 1);
    expect(olive.dims).toEqual([1]);
    const half = timestepTensor({ name: 'timestep', type: 'float16', shape: [] }, 1);
    expect(half.type).toBe('float16');
    expect((half.data as Uint16Array)[0]).toBe(0x3c00);
  });

  it('input_ids: int64 for optimum, int32 for Olive', () => {
    const ids = Int32Array.of(49406, 320, 49407);
    const i64 = idsTensor('int64', ids, [1, 3]);
    expect(i64.type).toBe('int64');
    expect(Array.from(i64.data as BigInt64Array)).toEqual([49406n, 320n, 49407n]);
    expect(idsTensor('int32', ids, [1, 3]).type).toBe('int32');
  });

  it('FloatFeed converts to fp16 on sync and readFloat converts back', () => {
    const feed = new FloatFeed('float16', [2, 2]);
    feed.data.set([1, -2, 0.5, 3]);
    const t = feed.sync();
    expect(t.type).toBe('float16');
    expect(Array.from(readFloat(t))).toEqual([1, -2, 0.5, 3]);
    const f32 = new FloatFeed('float32', [2]);
    f32.data[0] = 7;
    expect(f32.sync().data).toBe(f32.data); // fp32 feeds wrap the buffer, no copy
  });
});

describe('array conversions agree with the scalar reference', () => {
  it('float32ToHalf / halfToFloat32 over normals, subnormals, ties, overflow and NaN', async () => {
    const { float32ToHalf, halfToFloat32 } = await import('../../../../src/handlers/sdxl/float16.js');
    const values = [0, -0, 1, -1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 65519, 65519.996, 65520, 1e6, 2 ** -14, 2 ** -14 * 0.99999, 2 ** -20, 1e-9, NaN, -Infinity];
    for (let i = 0; i < 2000; i++) values.push((Math.sin(i * 12.9898) * 43758.5453) % 8);
    const src = Float32Array.from(values);
    const half = float32ToHalf(src, new Uint16Array(src.length));
    for (let i = 0; i < src.length; i++) expect(half[i], String(src[i])).toBe(toHalfBits(src[i] as number));
    const back = halfToFloat32(half, new Float32Array(src.length));
    for (let i = 0; i < src.length; i++) expect(Object.is(back[i], Math.fround(fromHalfBits(half[i] as number)))).toBe(true);
  });
});
