import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { onnx } from '../../../../src/tools/onnx/dtypes.js';
import { GraphBuilder } from '../../../../src/tools/onnx/graph-builder.js';
import { initializerChunks, writeModel } from '../../../../src/tools/onnx/model-writer.js';
import { attention, gelu, groupNorm, linear } from '../../../../src/tools/onnx/nn.js';
import { float16ToFloat32Array, toFloat16Bits } from '../../../../src/util/float16.js';

const tmp = mkdtempSync(join(tmpdir(), 'nserve-onnx-builder-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** x [2,8] -> linear(8->16) -> Tanh -> linear(16->4) -> y [batch,4] */
function mlp(seed: number, floatType: 'float32' | 'float16' = 'float32'): GraphBuilder {
  const b = new GraphBuilder({ name: 'mlp', seed, floatType });
  const x = b.input('x', floatType, ['batch', 8]);
  const h = b.op('Tanh', [linear(b, x, 'fc1', 8, 16)]);
  b.output('y', floatType, ['batch', 4], linear(b, h, 'fc2', 16, 4));
  return b;
}

const input = Float32Array.from({ length: 16 }, (_, i) => Math.sin(i));

async function run(path: string, feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(path);
  try {
    return (await session.run(feeds)) as Record<string, ort.Tensor>;
  } finally {
    await session.release();
  }
}

describe('GraphBuilder + writeModel', () => {
  it('writes the same bytes for the same seed and different weights for another seed', () => {
    const a = readFileSync(writeModel(mlp(7), join(tmp, 'det-a')).modelPath);
    const b = readFileSync(writeModel(mlp(7), join(tmp, 'det-b')).modelPath);
    const c = readFileSync(writeModel(mlp(8), join(tmp, 'det-c')).modelPath);
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(a.length).toBe(c.length);
  });

  it('streams random initializers identically whatever the chunk size', () => {
    const spec = { name: 'w', dtype: 'float32' as const, dims: [1000, 3], source: { kind: 'random' as const, std: 1 } };
    const whole = Buffer.concat([...initializerChunks(spec, 5, 1 << 20)]);
    const chunked = Buffer.concat([...initializerChunks(spec, 5, 7)]);
    expect(chunked.equals(whole)).toBe(true);
    const values = new Float32Array(whole.buffer, whole.byteOffset, 3000);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(std).toBeGreaterThan(0.9);
    expect(std).toBeLessThan(1.1);
  });

  it('round-trips external data: location/offset/length, aligned offsets, same outputs as inline', async () => {
    const inline = writeModel(mlp(3), join(tmp, 'inline'), { externalDataThreshold: false });
    const external = writeModel(mlp(3), join(tmp, 'external'), { externalDataThreshold: 64 });
    expect(inline.dataPath).toBeUndefined();
    expect(external.dataPath).toBe(join(tmp, 'external', 'model.onnx_data'));
    expect(external.modelBytes).toBeLessThan(inline.modelBytes);

    const proto = onnx.ModelProto.decode(readFileSync(external.modelPath));
    expect(Number(proto.irVersion)).toBe(8);
    expect(Number(proto.opsetImport[0]?.version)).toBe(17);
    const ext = proto.graph!.initializer.filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
    expect(ext.map((t) => t.name).sort()).toEqual(['fc1.weight', 'fc2.weight']); // 512 and 256 bytes; biases stay inline
    const data = readFileSync(external.dataPath!);
    for (const t of ext) {
      const kv = Object.fromEntries(t.externalData.map((e) => [e.key, e.value]));
      expect(kv.location).toBe('model.onnx_data');
      expect(Number(kv.offset) % 4096).toBe(0);
      expect(Number(kv.offset) + Number(kv.length)).toBeLessThanOrEqual(data.length);
      expect(Number(kv.length)).toBe(Number(t.dims.reduce((a, d) => Number(a) * Number(d), 1)) * 4);
    }

    const feeds = { x: new ort.Tensor('float32', input, [2, 8]) };
    const a = (await run(inline.modelPath, feeds)).y!;
    const b = (await run(external.modelPath, feeds)).y!;
    expect(b.dims).toEqual([2, 4]);
    expect(Array.from(b.data as Float32Array)).toEqual(Array.from(a.data as Float32Array));
  });

  it('declares symbolic dims that onnxruntime reports back', async () => {
    const session = await ort.InferenceSession.create(writeModel(mlp(1), join(tmp, 'meta')).modelPath);
    expect(session.inputMetadata[0]).toMatchObject({ name: 'x', type: 'float32', shape: ['batch', 8] });
    expect(session.outputMetadata[0]).toMatchObject({ name: 'y', type: 'float32', shape: ['batch', 4] });
    await session.release();
  });

  it('builds float16 graphs that run on the CPU provider and track the float32 graph', async () => {
    const fp32 = await run(writeModel(mlp(4), join(tmp, 'f32')).modelPath, { x: new ort.Tensor('float32', input, [2, 8]) });
    const halfInput = Uint16Array.from(input, (v) => toFloat16Bits(v));
    const fp16 = await run(writeModel(mlp(4, 'float16'), join(tmp, 'f16')).modelPath, { x: new ort.Tensor('float16', halfInput, [2, 8]) });
    expect(fp16.y!.type).toBe('float16');
    const got = float16ToFloat32Array(fp16.y!.data as Uint16Array);
    const want = fp32.y!.data as Float32Array;
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 1));
  });
});

describe('nn blocks match a JavaScript reference', () => {
  it('groupNorm (decomposed), layerNorm, gelu and attention', async () => {
    const b = new GraphBuilder({ name: 'blocks', seed: 9 });
    const x = b.input('x', 'float32', [1, 4, 2, 3]); // [B, C, H, W]
    // Unit affine parameters, so the reference needs no weights.
    b.output('gn', 'float32', [1, 4, 2, 3], groupNormUnit(b, x));
    const t = b.input('t', 'float32', [1, 3, 4]); // [B, S, C]
    b.output('ln', 'float32', [1, 3, 4], b.op('LayerNormalization', [t, b.constFloat([1, 1, 1, 1]), b.constFloat([0, 0, 0, 0])], { axis: -1, epsilon: { f: 1e-5 } }));
    b.output('gelu', 'float32', [1, 3, 4], gelu(b, t));
    b.output('attn', 'float32', [1, 3, 4], attention(b, t, t, t, 2, 2));
    expect(() => groupNorm(b, x, 'bad', 4, 3, 1e-5)).toThrow(/not divisible/);
    const xs = Float32Array.from({ length: 24 }, (_, i) => Math.cos(i * 1.3) * (i + 1));
    const ts = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i * 0.7) * 2);
    const out = await run(writeModel(b, join(tmp, 'blocks')).modelPath, {
      x: new ort.Tensor('float32', xs, [1, 4, 2, 3]),
      t: new ort.Tensor('float32', ts, [1, 3, 4]),
    });
    expectClose(out.gn!.data as Float32Array, refGroupNorm(xs, 4, 2, 6), 1e-4);
    expectClose(out.ln!.data as Float32Array, refLayerNorm(ts, 4), 1e-4);
    expectClose(out.gelu!.data as Float32Array, ts.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), 1e-4);
    expectClose(out.attn!.data as Float32Array, refAttention(ts, 3, 2, 2), 1e-4);
  });
});

function groupNormUnit(b: GraphBuilder, x: string): string {
  const grouped = b.op('Reshape', [x, b.constInt64([0, 2, -1])]);
  const normed = b.op('InstanceNormalization', [grouped, b.constFloat([1, 1]), b.constFloat([0, 0])], { epsilon: { f: 1e-5 } });
  return b.op('Reshape', [normed, b.op('Shape', [x])]);
}

function expectClose(got: Float32Array, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i]!)).toBeLessThan(tol));
}

function normalize(v: number[]): number[] {
  const m = v.reduce((a, c) => a + c, 0) / v.length;
  const s = Math.sqrt(v.reduce((a, c) => a + (c - m) ** 2, 0) / v.length + 1e-5);
  return v.map((c) => (c - m) / s);
}

function refGroupNorm(x: Float32Array, channels: number, groups: number, spatial: number): number[] {
  const per = (channels / groups) * spatial;
  return Array.from({ length: groups }, (_, g) => normalize(Array.from(x.slice(g * per, (g + 1) * per)))).flat();
}

function refLayerNorm(x: Float32Array, dim: number): number[] {
  return Array.from({ length: x.length / dim }, (_, r) => normalize(Array.from(x.slice(r * dim, (r + 1) * dim)))).flat();
}

function refAttention(x: Float32Array, seq: number, heads: number, d: number): number[] {
  const C = heads * d;
  const out = new Array<number>(seq * C).fill(0);
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < seq; i++) {
      const scores = Array.from({ length: seq }, (_, j) => {
        let s = 0;
        for (let k = 0; k < d; k++) s += x[i * C + h * d + k]! * x[j * C + h * d + k]!;
        return s / Math.sqrt(d);
      });
      const mx = Math.max(...scores);
      const e = scores.map((s) => Math.exp(s - mx));
      const z = e.reduce((a, c) => a + c, 0);
      for (let j = 0; j < seq; j++) for (let k = 0; k < d; k++) out[i * C + h * d + k]! += (e[j]! / z) * x[j * C + h * d + k]!;
    }
  return out;
}

/** Abramowitz–Stegun 7.1.26 (|error| < 1.5e-7). */
function erf(x: number): number {
  const s = Math.sign(x);
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return s * y;
}
