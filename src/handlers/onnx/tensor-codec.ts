/**
 * Pure conversions between JSON request bodies and flat tensor data for the `onnx` handler:
 * nested arrays ⇄ (dims, flat values), element-type checks, dtype names (onnxruntime ⇄ KServe
 * v2). Every validation failure is an `InvalidInputError` (400) naming the input, what the model
 * expects and what the request sent.
 */
import { InvalidInputError } from '../../errors/index.js';
import type { TensorDatatype } from '../../inference/types.js';
import { fromFloat16Bits, toFloat16Bits } from '../../util/float16.js';

export type OrtType =
  | 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16'
  | 'int32' | 'uint32' | 'int64' | 'uint64' | 'bool' | 'string';

export const ORT_TO_V2: Readonly<Record<OrtType, TensorDatatype>> = {
  float32: 'FP32', float64: 'FP64', float16: 'FP16', int8: 'INT8', uint8: 'UINT8', int16: 'INT16',
  uint16: 'UINT16', int32: 'INT32', uint32: 'UINT32', int64: 'INT64', uint64: 'UINT64', bool: 'BOOL', string: 'BYTES',
};

/** A model input as the session describes it; a string or negative dim is dynamic. */
export interface InputSpec {
  name: string;
  type: OrtType;
  shape: (number | string)[];
}

export interface FlatTensor {
  dims: number[];
  values: unknown[];
}

export const isDynamic = (d: number | string): boolean => typeof d !== 'number' || d < 0;

export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (isDynamic(d) ? (typeof d === 'string' && d !== '' ? d : '-1') : String(d))).join(',')}]`;
}

export function describeSpec(spec: InputSpec): string {
  return `${ORT_TO_V2[spec.type]} ${formatShape(spec.shape)}`;
}

/** Flatten a rectangular nested array; scalars are rank 0. */
export function flattenNested(value: unknown, name: string): FlatTensor {
  const dims: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0]) dims.push(v.length);
  const values: unknown[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === dims.length) {
      if (Array.isArray(v)) throw new InvalidInputError(`Input '${name}' is not a rectangular array (too deep at rank ${depth})`);
      values.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== dims[depth]) {
      throw new InvalidInputError(`Input '${name}' is not a rectangular array: expected ${dims[depth]} elements at depth ${depth}`);
    }
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
  return { dims, values };
}

export function checkShape(spec: InputSpec, dims: number[]): void {
  const ok = dims.length === spec.shape.length && spec.shape.every((d, i) => isDynamic(d) || d === dims[i]);
  if (!ok) {
    throw new InvalidInputError(`Input '${spec.name}' has shape ${formatShape(dims)}, expected ${formatShape(spec.shape)}`);
  }
}

function describeValue(v: unknown): string {
  return `${JSON.stringify(v) ?? String(v)} (${v === null ? 'null' : typeof v})`;
}

const INT_RANGES: Partial<Record<OrtType, [number, number]>> = {
  int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535],
  int32: [-2147483648, 2147483647], uint32: [0, 4294967295],
};

/** Check every element against the input's element type and return onnxruntime-ready data. */
export function toTensorData(spec: InputSpec, values: unknown[]): unknown {
  const bad = (v: unknown): never => {
    throw new InvalidInputError(`Input '${spec.name}' expects ${ORT_TO_V2[spec.type]} (${spec.type}) values, got ${describeValue(v)}`);
  };
  const n = values.length;
  switch (spec.type) {
    case 'float32':
    case 'float64': {
      const out = spec.type === 'float32' ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number') bad(v);
        out[i] = v as number;
      }
      return out;
    }
    case 'float16': {
      const out = new Uint16Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number') bad(v);
        out[i] = toFloat16Bits(v as number);
      }
      return out;
    }
    case 'int64':
    case 'uint64': {
      const out = spec.type === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'number' && Number.isInteger(v)) out[i] = BigInt(v);
        else if (typeof v === 'string' && /^-?\d+$/.test(v)) out[i] = BigInt(v);
        else bad(v);
        if (spec.type === 'uint64' && (out[i] as bigint) < 0n) bad(v);
      }
      return out;
    }
    case 'bool': {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === 'boolean') out[i] = v ? 1 : 0;
        else if (v === 0 || v === 1) out[i] = v;
        else bad(v);
      }
      return out;
    }
    case 'string':
      return values.map((v) => (typeof v === 'string' ? v : bad(v)));
    default: {
      const Ctor = { int8: Int8Array, uint8: Uint8Array, int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array }[spec.type];
      const [lo, hi] = INT_RANGES[spec.type]!;
      const out = new Ctor(n);
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(v);
        out[i] = v as number;
      }
      return out;
    }
  }
}

/** Tensor data as JSON-safe numbers (int64 → number, fp16 bits → float, bool → boolean). */
export function toPlainValues(type: string, data: unknown): unknown[] {
  if (type === 'float16' && data instanceof Uint16Array) return Array.from(data, fromFloat16Bits);
  if (type === 'bool') return Array.from(data as ArrayLike<number>, (v) => v !== 0);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, (v) => Number(v));
  if (Array.isArray(data)) return data;
  return Array.from(data as ArrayLike<number>);
}

/** Rebuild a nested array of `dims` from flat values. */
export function nest(values: unknown[], dims: readonly number[]): unknown {
  if (dims.length === 0) return values[0];
  let offset = 0;
  const build = (depth: number): unknown[] => {
    const out: unknown[] = new Array(dims[depth]!);
    for (let i = 0; i < dims[depth]!; i++) out[i] = depth === dims.length - 1 ? values[offset++] : build(depth + 1);
    return out;
  };
  return build(0);
}
