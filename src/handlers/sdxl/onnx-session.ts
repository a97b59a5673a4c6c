/**
 * One onnxruntime session with the metadata the SDXL pipeline needs (input dtypes and ranks),
 * dtype adaptation (fp16 ↔ fp32, int32/int64 ids) and timing of each pure `session.run`.
 */

import * as ort from 'onnxruntime-node';
import { float16ToFloat32Array, float32ToFloat16Array, toFloat16Bits } from '../../util/float16.js';

export type FloatType = 'float32' | 'float16';

export interface TensorInfo {
  name: string;
  type: string;
  /** Dims; symbolic dims are strings. */
  shape: readonly (number | string)[];
}

export interface SessionTimer {
  /** Called with the wall time of each `session.run`, in milliseconds. */
  record(component: string, ms: number): void;
}

export type ExecutionProvider = string | { name: string; [key: string]: unknown };

export interface OpenSessionOptions {
  executionProviders: ExecutionProvider[];
  intraOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Whether onnxruntime's idle intra-op threads busy-wait for the next run (default false: between
   * the pipeline's ~45 short runs per image, spinning threads take the cores from the JS work of
   * the loop; CPU, tiny model, 7 runs: mean wall/Σ session.run 1.050–1.068 → 1.025–1.040).
   */
  allowSpinning?: boolean;
}

export class ModelSession {
  readonly component: string;
  readonly inputs: Map<string, TensorInfo>;
  readonly outputs: Map<string, TensorInfo>;
  readonly #session: ort.InferenceSession;
  #timer: SessionTimer | undefined;

  constructor(component: string, session: ort.InferenceSession) {
    this.component = component;
    this.#session = session;
    this.inputs = toInfo(session.inputMetadata);
    this.outputs = toInfo(session.outputMetadata);
  }

  static async open(component: string, path: string, options: OpenSessionOptions): Promise<ModelSession> {
    const session = await ort.InferenceSession.create(path, {
      executionProviders: options.executionProviders as ort.InferenceSession.ExecutionProviderConfig[],
      graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
      ...(options.intraOpNumThreads ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
      extra: { session: { intra_op: { allow_spinning: options.allowSpinning === true ? '1' : '0' } } },
    });
    return new ModelSession(component, session);
  }

  setTimer(timer: SessionTimer | undefined): void {
    this.#timer = timer;
  }

  input(name: string): TensorInfo {
    const info = this.inputs.get(name);
    if (!info) throw new Error(`${this.component}: the model has no input "${name}" (has ${[...this.inputs.keys()].join(', ')})`);
    return info;
  }

  hasOutput(name: string): boolean {
    return this.outputs.has(name);
  }

  /** float32 or float16, as the model declares for a float input. */
  floatType(name: string): FloatType {
    return this.input(name).type === 'float16' ? 'float16' : 'float32';
  }

  async run(feeds: Record<string, ort.Tensor>, fetches: string[]): Promise<Record<string, ort.Tensor>> {
    const start = performance.now();
    const out = await this.#session.run(feeds, fetches);
    this.#timer?.record(this.component, performance.now() - start);
    return out;
  }

  async release(): Promise<void> {
    await this.#session.release();
  }
}

function toInfo(meta: readonly ort.InferenceSession.ValueMetadata[]): Map<string, TensorInfo> {
  const map = new Map<string, TensorInfo>();
  for (const m of meta) {
    if (m.isTensor) map.set(m.name, { name: m.name, type: m.type, shape: m.shape });
    else map.set(m.name, { name: m.name, type: 'non-tensor', shape: [] });
  }
  return map;
}

/**
 * A float input fed from a float32 buffer: wraps the buffer directly for fp32 models, or converts
 * into a preallocated half buffer on `sync()` for fp16 models. Allocated once per request shape.
 */
export class FloatFeed {
  readonly data: Float32Array;
  readonly tensor: ort.Tensor;
  readonly #half: Uint16Array | undefined;

  constructor(type: FloatType, dims: readonly number[], data?: Float32Array) {
    const size = dims.reduce((a, b) => a * b, 1);
    this.data = data ?? new Float32Array(size);
    if (type === 'float16') {
      this.#half = new Uint16Array(size);
      this.tensor = new ort.Tensor('float16', this.#half, dims);
    } else {
      this.tensor = new ort.Tensor('float32', this.data, dims);
    }
  }

  /** Copies `data` into the fp16 buffer (no-op for fp32). Call after writing `data`. */
  sync(): ort.Tensor {
    if (this.#half) float32ToFloat16Array(this.data, this.#half);
    return this.tensor;
  }
}

/** Reads a float output as float32 (converting fp16), into `dst` when given. */
export function readFloat(tensor: ort.Tensor, dst?: Float32Array): Float32Array {
  if (tensor.type === 'float16') {
    const src = tensor.data as Uint16Array;
    return float16ToFloat32Array(src, dst);
  }
  if (tensor.type !== 'float32') throw new Error(`expected a float tensor, got ${tensor.type}`);
  const src = tensor.data as Float32Array;
  if (!dst) return src;
  dst.set(src);
  return dst;
}

/** Token ids as the model declares them (int64 for optimum, int32 for Olive's text_encoder). */
export function idsTensor(type: string, ids: Int32Array, dims: readonly number[]): ort.Tensor {
  if (type === 'int32') return new ort.Tensor('int32', ids, dims);
  return new ort.Tensor('int64', BigInt64Array.from(ids, (v) => BigInt(v)), dims);
}

/** The UNet `timestep`: 0-d float (optimum ≥ 1.24), int64 [1] (older optimum) or float [1] (Olive). */
export function timestepTensor(info: TensorInfo, value: number): ort.Tensor {
  const dims = info.shape.length === 0 ? [] : [1];
  if (info.type === 'int64') return new ort.Tensor('int64', BigInt64Array.of(BigInt(Math.round(value))), dims);
  if (info.type === 'int32') return new ort.Tensor('int32', Int32Array.of(Math.round(value)), dims);
  if (info.type === 'float16') return new ort.Tensor('float16', Uint16Array.of(toFloat16Bits(value)), dims);
  return new ort.Tensor('float32', Float32Array.of(value), dims);
}
