/**
 * Small ONNX fixtures for examples, tests and benchmarks. Each builder writes `model.onnx`
 * (deterministic bytes for a given seed) into a directory and returns its path.
 */
import { GraphBuilder } from '../onnx/graph-builder.js';
import { writeModel } from '../onnx/model-writer.js';

export interface TinyModelOptions {
  seed?: number;
  /** File name inside `dir` (default `model.onnx`). */
  fileName?: string;
}

/** Signature of the tiny model: `input` float32 [batch,4] -> `output` float32 [batch,3]. */
export const TINY_ONNX_SIGNATURE = {
  inputs: [{ name: 'input', dtype: 'float32', dims: ['batch', 4] }],
  outputs: [{ name: 'output', dtype: 'float32', dims: ['batch', 3] }],
} as const;

/**
 * `input` [batch,4] -> Gemm(4->8) -> Relu -> Gemm(8->3) -> `output` [batch,3], batch dynamic.
 * Rows are independent, so a batched run equals the per-row runs.
 */
export function buildTinyOnnxModel(dir: string, options: TinyModelOptions = {}): string {
  const b = new GraphBuilder({ name: 'tiny_onnx', seed: options.seed ?? 1 });
  const x = b.input('input', 'float32', ['batch', 4]);
  const w1 = b.weight('fc1.weight', [4, 8], 0.5);
  const b1 = b.weight('fc1.bias', [8], 0.1);
  const h = b.op('Relu', [b.op('Gemm', [x, w1, b1])]);
  const w2 = b.weight('fc2.weight', [8, 3], 0.35);
  const b2 = b.weight('fc2.bias', [3], 0.1);
  b.op('Gemm', [h, w2, b2], {}, 'output');
  b.output('output', 'float32', ['batch', 3]);
  return writeModel(b, dir, { fileName: options.fileName ?? 'model.onnx' }).modelPath;
}

export interface ComputeModelOptions extends TinyModelOptions {
  /** Width of every layer (input and output are [batch, hidden]). */
  hidden: number;
  /** Number of MatMul+Add+Tanh layers. */
  layers: number;
}

/**
 * A compute-bound stack for batching benchmarks: `input` float32 [batch,hidden] ->
 * layers × (MatMul hidden×hidden + bias -> Tanh) -> `output` float32 [batch,hidden].
 * Cost per row is 2·hidden²·layers FLOPs; batch dim is dynamic.
 */
export function buildComputeModel(dir: string, options: ComputeModelOptions): string {
  const { hidden, layers } = options;
  const b = new GraphBuilder({ name: 'compute_stack', seed: options.seed ?? 2 });
  let x = b.input('input', 'float32', ['batch', hidden]);
  for (let i = 0; i < layers; i++) {
    const w = b.weight(`layers.${i}.weight`, [hidden, hidden], 1 / Math.sqrt(hidden));
    const bias = b.weight(`layers.${i}.bias`, [hidden], 0.02);
    const y = b.op('Add', [b.op('MatMul', [x, w]), bias]);
    x = b.op('Tanh', [y], {}, i === layers - 1 ? 'output' : undefined);
  }
  b.output('output', 'float32', ['batch', hidden]);
  return writeModel(b, dir, { fileName: options.fileName ?? 'model.onnx' }).modelPath;
}
