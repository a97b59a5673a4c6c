/**
 * Serialises a `GraphBuilder` to `model.onnx`, streaming initializers larger than a threshold to
 * `model.onnx_data` (ONNX external data: `location` / `offset` / `length`), one chunk at a time.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { bytesPerElement, elemType, elementCount, onnx, type OnnxModelProto } from './dtypes.js';
import { float32ToFloat16Array } from '../../util/float16.js';
import { type GraphBuilder, type InitializerSpec, toValueInfo } from './graph-builder.js';
import { Rng, hashSeed } from './prng.js';

export const OPSET_VERSION = 17;
export const IR_VERSION = 8;

export interface WriteModelOptions {
  /** Model file name inside `dir` (default `model.onnx`); external data goes to `<name>_data`. */
  fileName?: string;
  /**
   * Initializers of more than this many bytes are written to the external-data file.
   * `false`: everything inline. Default: inline unless the weights exceed 512 MiB, then 1024 (so text_encoder_2 at full scale goes external, as optimum does, and no protobuf nears 2 GB).
   */
  externalDataThreshold?: number | false;
  /** Byte alignment of each external tensor (default 4096, so the file can be memory-mapped). */
  alignment?: number;
  /** Elements generated per streamed chunk (default 1 Mi). */
  chunkElements?: number;
  metadata?: Record<string, string>;
}

export interface WrittenModel {
  modelPath: string;
  dataPath?: string;
  /** Elements of all weight initializers (random-valued ones: the model's parameters). */
  parameterCount: number;
  modelBytes: number;
  dataBytes: number;
}

const AUTO_EXTERNAL_BYTES = 512 * 1024 ** 2;

export function specBytes(spec: InitializerSpec): number {
  return elementCount(spec.dims) * bytesPerElement(spec.dtype);
}

export function countParameters(builder: GraphBuilder): number {
  return builder.initializers.reduce((n, s) => n + (s.source.kind === 'random' ? elementCount(s.dims) : 0), 0);
}

/** Yields the little-endian raw bytes of an initializer, `chunkElements` at a time. */
export function* initializerChunks(spec: InitializerSpec, seed: number, chunkElements = 1 << 20): Generator<Uint8Array> {
  const total = elementCount(spec.dims);
  const src = spec.source;
  if (src.kind === 'values') {
    if (src.values.length !== total) throw new Error(`${spec.name}: ${src.values.length} values for dims [${spec.dims}]`);
    yield encodeValues(spec, src.values);
    return;
  }
  const rng = src.kind === 'random' ? new Rng(hashSeed(seed, spec.name)) : undefined;
  for (let start = 0; start < total; start += chunkElements) {
    const chunk = new Float32Array(Math.min(chunkElements, total - start));
    if (rng && src.kind === 'random') rng.fillUniform(chunk, src.mean ?? 0, src.std);
    else if (src.kind === 'fill') chunk.fill(src.value);
    yield encodeValues(spec, chunk);
  }
}

function encodeValues(spec: InitializerSpec, values: ArrayLike<number> | BigInt64Array): Uint8Array {
  let typed: ArrayBufferView;
  switch (spec.dtype) {
    case 'float32':
      typed = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
      break;
    case 'float16':
      typed = float32ToFloat16Array(Float32Array.from(values as ArrayLike<number>));
      break;
    case 'int64':
      typed = values instanceof BigInt64Array ? values : BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v)));
      break;
    case 'int32':
      typed = Int32Array.from(values as ArrayLike<number>);
      break;
    default:
      typed = Uint8Array.from(values as ArrayLike<number>);
  }
  return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks);
}

/** Writes the model (and its external data when needed) into `dir`. */
export function writeModel(builder: GraphBuilder, dir: string, options: WriteModelOptions = {}): WrittenModel {
  mkdirSync(dir, { recursive: true });
  const fileName = options.fileName ?? 'model.onnx';
  const dataName = `${fileName}_data`;
  const alignment = options.alignment ?? 4096;
  const totalBytes = builder.initializers.reduce((n, s) => n + specBytes(s), 0);
  const threshold =
    options.externalDataThreshold === undefined
      ? totalBytes > AUTO_EXTERNAL_BYTES
        ? 1024
        : false
      : options.externalDataThreshold;

  const dataPath = join(dir, dataName);
  let fd: number | undefined;
  let offset = 0;
  const tensors: InstanceType<typeof onnx.TensorProto>[] = [];
  try {
    for (const spec of builder.initializers) {
      const tensor = onnx.TensorProto.create({ name: spec.name, dataType: elemType(spec.dtype), dims: spec.dims });
      const bytes = specBytes(spec);
      if (threshold !== false && bytes > threshold) {
        fd ??= openSync(dataPath, 'w');
        const pad = (alignment - (offset % alignment)) % alignment;
        if (pad) offset += writeSync(fd, new Uint8Array(pad));
        const start = offset;
        for (const chunk of initializerChunks(spec, builder.seed, options.chunkElements)) offset += writeSync(fd, chunk);
        tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
        tensor.externalData = [
          { key: 'location', value: basename(dataPath) },
          { key: 'offset', value: String(start) },
          { key: 'length', value: String(offset - start) },
        ];
      } else {
        tensor.rawData = concat([...initializerChunks(spec, builder.seed, options.chunkElements)]);
      }
      tensors.push(tensor);
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }

  const model = toModelProto(builder, tensors, options.metadata);
  const encoded = onnx.ModelProto.encode(model).finish();
  const modelPath = join(dir, fileName);
  writeFileSync(modelPath, encoded);
  return {
    modelPath,
    ...(fd !== undefined ? { dataPath } : {}),
    parameterCount: countParameters(builder),
    modelBytes: encoded.byteLength,
    dataBytes: fd !== undefined ? offset : 0,
  };
}

/** Builds the ModelProto with inline data only (for small graphs kept in memory). */
export function encodeModel(builder: GraphBuilder, metadata?: Record<string, string>): Uint8Array {
  const tensors = builder.initializers.map((spec) =>
    onnx.TensorProto.create({
      name: spec.name,
      dataType: elemType(spec.dtype),
      dims: spec.dims,
      rawData: concat([...initializerChunks(spec, builder.seed)]),
    }),
  );
  return onnx.ModelProto.encode(toModelProto(builder, tensors, metadata)).finish();
}

function toModelProto(
  builder: GraphBuilder,
  initializer: InstanceType<typeof onnx.TensorProto>[],
  metadata: Record<string, string> = {},
): OnnxModelProto {
  return onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET_VERSION }],
    producerName: 'nserve-tools',
    producerVersion: '1',
    graph: onnx.GraphProto.create({
      name: builder.name,
      node: builder.nodes,
      initializer,
      input: builder.inputs.map(toValueInfo),
      output: builder.outputs.map(toValueInfo),
    }),
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
}
