import { describe, expect, it } from 'vitest';
import { FloatFeed, idsTensor, readFloat, timestepTensor } from '../../../../src/handlers/sdxl/onnx-session.js';

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
