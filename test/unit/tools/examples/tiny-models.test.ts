import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { archiverArgs } from '../../../../src/tools/examples/archiver.js';
import { buildComputeModel, buildTinyOnnxModel } from '../../../../src/tools/examples/tiny-models.js';

const tmp = mkdtempSync(join(tmpdir(), 'nserve-tiny-models-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('buildTinyOnnxModel', () => {
  it('input [batch,4] -> output [batch,3]; a batch equals its rows run one by one', async () => {
    const path = buildTinyOnnxModel(join(tmp, 'tiny'));
    const s = await ort.InferenceSession.create(path);
    expect(s.inputMetadata[0]).toMatchObject({ name: 'input', type: 'float32', shape: ['batch', 4] });
    expect(s.outputMetadata[0]).toMatchObject({ name: 'output', type: 'float32', shape: ['batch', 3] });
    const rows = [[1, 2, 3, 4], [-1, 0.5, 0, 2], [0, 0, 0, 0]];
    const batch = await s.run({ input: new ort.Tensor('float32', Float32Array.from(rows.flat()), [3, 4]) });
    expect(batch.output!.dims).toEqual([3, 3]);
    const all = Array.from(batch.output!.data as Float32Array);
    for (const [i, row] of rows.entries()) {
      const one = await s.run({ input: new ort.Tensor('float32', Float32Array.from(row), [1, 4]) });
      Array.from(one.output!.data as Float32Array).forEach((v, j) => expect(v).toBeCloseTo(all[i * 3 + j]!, 5));
    }
    expect(new Set(all.map((v) => v.toFixed(4))).size).toBeGreaterThan(3); // not a constant model
    await s.release();
  });

  it('is byte-for-byte reproducible for a seed', () => {
    const a = readFileSync(buildTinyOnnxModel(join(tmp, 'a')));
    const b = readFileSync(buildTinyOnnxModel(join(tmp, 'b')));
    const c = readFileSync(buildTinyOnnxModel(join(tmp, 'c'), { seed: 99 }));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });
});

describe('buildComputeModel', () => {
  it('builds a dynamic-batch MatMul+Tanh stack of the requested size', async () => {
    const path = buildComputeModel(join(tmp, 'compute'), { hidden: 64, layers: 3 });
    const s = await ort.InferenceSession.create(path);
    expect(s.inputMetadata[0]).toMatchObject({ name: 'input', shape: ['batch', 64] });
    for (const batch of [1, 8]) {
      const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(batch * 64).fill(0.5), [batch, 64]) });
      expect(out.output!.dims).toEqual([batch, 64]);
      const values = Array.from(out.output!.data as Float32Array);
      expect(values.every((v) => Math.abs(v) < 1)).toBe(true); // tanh range
    }
    await s.release();
    expect(readFileSync(path).length).toBeGreaterThan(3 * 64 * 64 * 4);
  });
});

describe('archiverArgs', () => {
  it('spells the torch-model-archiver flags', () => {
    expect(
      archiverArgs({ modelName: 'm', version: '1.0', handler: 'onnx', exportPath: 'store', serializedFile: 'model.onnx', extraFiles: ['a.zip', 'b.zip'], configFile: 'c.yaml' }),
    ).toEqual(['--model-name', 'm', '--version', '1.0', '--handler', 'onnx', '--export-path', 'store', '--serialized-file', 'model.onnx', '--extra-files', 'a.zip,b.zip', '--config-file', 'c.yaml', '--force']);
  });
});
