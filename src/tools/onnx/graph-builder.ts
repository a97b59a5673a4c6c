/**
 * A small typed builder for ONNX graphs (opset 17, IR version 8) on top of `onnx-proto`.
 * Initializers are recorded as *specs* (shape, dtype, and where their values come from) and
 * only materialised by `writeModel`, which streams large ones to an external-data file, so a
 * multi-GB model never sits in memory.
 */
import { type DType, type FloatDType, elemType, onnx } from './dtypes.js';

export type Dim = number | string;

/** Where an initializer's values come from. */
export type TensorSource =
  | { kind: 'values'; values: ArrayLike<number> | BigInt64Array }
  /** Seeded pseudo-random values of the given mean / standard deviation (see `Rng.fillUniform`). */
  | { kind: 'random'; std: number; mean?: number }
  | { kind: 'fill'; value: number };

export interface InitializerSpec {
  name: string;
  dtype: DType;
  dims: number[];
  source: TensorSource;
}

export type AttrValue =
  | number
  | string
  | number[]
  | { f: number }
  | { floats: number[] }
  | { tensor: { dtype: DType; dims: number[]; values: number[] } };

export interface ValueInfo {
  name: string;
  dtype: DType;
  dims: Dim[];
}

export interface GraphBuilderOptions {
  name: string;
  /** Seed for every random initializer of this graph. */
  seed?: number;
  /** Element type of float tensors (weights, activations, float I/O). */
  floatType?: FloatDType;
}

export class GraphBuilder {
  readonly name: string;
  readonly seed: number;
  readonly floatType: FloatDType;
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  readonly initializers: InitializerSpec[] = [];
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(options: GraphBuilderOptions) {
    this.name = options.name;
    this.seed = options.seed ?? 0;
    this.floatType = options.floatType ?? 'float32';
  }

  /** A fresh value name, `prefix` if still free. */
  fresh(prefix: string): string {
    let name = prefix;
    while (this.used.has(name)) name = `${prefix}_${++this.counter}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, dims: Dim[]): string {
    this.claim(name);
    this.inputs.push({ name, dtype, dims });
    return name;
  }

  /** Declares a graph output. If `from` names another value, an Identity node renames it. */
  output(name: string, dtype: DType, dims: Dim[], from?: string): string {
    if (from !== undefined && from !== name) this.op('Identity', [from], {}, name);
    else if (!this.used.has(name)) throw new Error(`output ${name} is produced by no node`);
    this.outputs.push({ name, dtype, dims });
    return name;
  }

  /** Registers an initializer (weights). `dtype` defaults to the graph's float type. */
  initializer(name: string, dims: number[], source: TensorSource, dtype: DType = this.floatType): string {
    const unique = this.fresh(name);
    this.initializers.push({ name: unique, dtype, dims: [...dims], source });
    return unique;
  }

  /** A weight of N(mean, std²)-like seeded values. */
  weight(name: string, dims: number[], std: number, mean = 0): string {
    return this.initializer(name, dims, { kind: 'random', std, mean });
  }

  /** A float constant in the graph's float type (small constants are shared). */
  constFloat(values: number[], dims: number[] = [values.length], prefix = 'const'): string {
    return this.constant(this.floatType, values, dims, prefix);
  }

  /** A float32 constant regardless of the graph's float type. */
  constFloat32(values: number[], dims: number[] = [values.length], prefix = 'const_f32'): string {
    return this.constant('float32', values, dims, prefix);
  }

  constInt64(values: number[], dims: number[] = [values.length], prefix = 'const_i64'): string {
    return this.constant('int64', values, dims, prefix);
  }

  private constant(dtype: DType, values: number[], dims: number[], prefix: string): string {
    const key = values.length <= 64 ? `${dtype}|${dims.join(',')}|${values.join(',')}` : undefined;
    const known = key === undefined ? undefined : this.constants.get(key);
    if (known) return known;
    const source: TensorSource =
      dtype === 'int64' ? { kind: 'values', values: BigInt64Array.from(values.map(BigInt)) } : { kind: 'values', values };
    const name = this.initializer(prefix, dims, source, dtype);
    if (key !== undefined) this.constants.set(key, name);
    return name;
  }

  /** Adds a node; returns its output names (`outputs` may be a count or explicit names). */
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputs: number | string[] = 1): string[] {
    const outNames =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, (_, i) => this.fresh(`${opType.toLowerCase()}_out${outputs > 1 ? i : ''}`))
        : outputs.map((o) => (this.claim(o), o));
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: outNames,
        name: this.fresh(`${opType}_node`),
        attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
      }),
    );
    return outNames;
  }

  /** Adds a single-output node and returns the output name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(opType, inputs, attrs, output === undefined ? 1 : [output])[0]!;
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new Error(`value name ${name} already used`);
    this.used.add(name);
  }
}

export function toValueInfo(v: ValueInfo): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name: v.name,
    type: {
      tensorType: {
        elemType: elemType(v.dtype),
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

function toAttribute(name: string, v: AttrValue): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? onnx.AttributeProto.create({ name, type: T.INT, i: v })
      : onnx.AttributeProto.create({ name, type: T.FLOAT, f: v });
  }
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: T.STRING, s: Buffer.from(v) });
  if (Array.isArray(v)) return onnx.AttributeProto.create({ name, type: T.INTS, ints: v });
  if ('f' in v) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: v.f });
  if ('floats' in v) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: v.floats });
  const t = v.tensor;
  const tensor = onnx.TensorProto.create({ dataType: elemType(t.dtype), dims: t.dims });
  if (t.dtype === 'float32') tensor.floatData = t.values;
  else if (t.dtype === 'int64') tensor.int64Data = t.values;
  else if (t.dtype === 'float16') tensor.int32Data = t.values; // caller passes half bits
  else tensor.int32Data = t.values;
  return onnx.AttributeProto.create({ name, type: T.TENSOR, t: tensor });
}
