/**
 * Open Inference Protocol (KServe v2) tensor data: the 13 datatypes, their byte sizes, the
 * conversions between JSON `data` and the little-endian raw form of the binary data extension
 * (and of gRPC `raw_*_contents`, FP16 as IEEE half bits via util/float16) and the 4-byte
 * length prefix of BYTES elements. Pure: no I/O, no state.
 *
 * JSON values of a tensor are always handled flat (row-major); `flattenData` turns nested
 * arrays into that form and `checkShape` ties the element count to the declared shape, with
 * messages that name the input.
 */
import { InvalidInputError } from '../../errors/index.js';
import type { TensorDatatype } from '../../inference/types.js';
import { fromFloat16Bits, toFloat16Bits } from '../../util/float16.js';

/** A JSON element: numbers, booleans, strings (BYTES), or `{"b64": …}` for non-UTF-8 BYTES. */
export type TensorValue = number | boolean | string | { b64: string };

export interface DatatypeInfo {
  /** Bytes per element; 0 for BYTES (variable length). */
  size: number;
  /** Whether JSON `data` is allowed (FP16 is binary-only, as KServe enforces). */
  json: boolean;
}

export const DATATYPES: Readonly<Record<TensorDatatype, DatatypeInfo>> = {
  BOOL: { size: 1, json: true },
  UINT8: { size: 1, json: true },
  UINT16: { size: 2, json: true },
  UINT32: { size: 4, json: true },
  UINT64: { size: 8, json: true },
  INT8: { size: 1, json: true },
  INT16: { size: 2, json: true },
  INT32: { size: 4, json: true },
  INT64: { size: 8, json: true },
  FP16: { size: 2, json: false },
  FP32: { size: 4, json: true },
  FP64: { size: 8, json: true },
  BYTES: { size: 0, json: true },
};

export function isDatatype(value: unknown): value is TensorDatatype {
  return typeof value === 'string' && Object.hasOwn(DATATYPES, value);
}

/** [min, max) of the integer datatypes (upper bound exclusive so 2^63 / 2^64 stay exact). */
const INT_RANGE: Partial<Record<TensorDatatype, [number, number]>> = {
  UINT8: [0, 2 ** 8],
  UINT16: [0, 2 ** 16],
  UINT32: [0, 2 ** 32],
  UINT64: [0, 2 ** 64],
  INT8: [-(2 ** 7), 2 ** 7],
  INT16: [-(2 ** 15), 2 ** 15],
  INT32: [-(2 ** 31), 2 ** 31],
  INT64: [-(2 ** 63), 2 ** 63],
};

// ---- shapes ---------------------------------------------------------------------------------------

/** Flattens nested arrays row-major; a non-array is a one-element tensor. */
export function flattenData(data: unknown): unknown[] {
  if (!Array.isArray(data)) return [data];
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else out.push(v);
  };
  walk(data);
  return out;
}

/** Shape of a nested array, following first elements (`[[1,2],[3,4]]` -> `[2, 2]`). */
export function inferShape(data: unknown): number[] {
  const shape: number[] = [];
  let v = data;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Validates `shape` against `count` elements. One `-1` dimension is resolved from the count
 * (KServe's own samples send BYTES with `"shape": [-1]`). Returns the resolved shape.
 */
export function checkShape(name: string, shape: unknown, count: number): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= -1)) {
    throw new InvalidInputError(`input "${name}": shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  const dims = shape as number[];
  const unknown = dims.filter((d) => d === -1).length;
  if (unknown > 1) throw new InvalidInputError(`input "${name}": shape ${JSON.stringify(dims)} has more than one -1 dimension`);
  if (unknown === 1) {
    const known = elementCount(dims.filter((d) => d !== -1));
    if (known === 0 || count % known !== 0) {
      throw new InvalidInputError(`input "${name}": ${count} elements do not fit shape ${JSON.stringify(dims)}`);
    }
    return dims.map((d) => (d === -1 ? count / known : d));
  }
  const expected = elementCount(dims);
  if (expected !== count) {
    throw new InvalidInputError(`input "${name}": shape ${JSON.stringify(dims)} expects ${expected} elements, got ${count}`);
  }
  return dims;
}

// ---- JSON values -> raw little-endian bytes ---------------------------------------------------------

function badValue(name: string, datatype: TensorDatatype, index: number, value: unknown): InvalidInputError {
  return new InvalidInputError(`input "${name}": element ${index} (${JSON.stringify(value)}) is not a valid ${datatype} value`);
}

function bytesOf(name: string, index: number, value: unknown): Uint8Array {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'object' && value !== null && typeof (value as { b64?: unknown }).b64 === 'string') {
    return Buffer.from((value as { b64: string }).b64, 'base64');
  }
  throw badValue(name, 'BYTES', index, value);
}

/** BYTES elements -> 4-byte little-endian length + bytes, concatenated. */
export function encodeBytesElements(elements: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const e of elements) total += 4 + e.length;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (const e of elements) {
    out.writeUInt32LE(e.length, off);
    out.set(e, off + 4);
    off += 4 + e.length;
  }
  return out;
}

/** Raw BYTES tensor -> its elements. Throws when the length prefixes do not tile the buffer. */
export function decodeBytesElements(name: string, raw: Uint8Array): Buffer[] {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: Buffer[] = [];
  let off = 0;
  while (off < buf.length) {
    if (off + 4 > buf.length) throw new InvalidInputError(`input "${name}": truncated BYTES length prefix at byte ${off}`);
    const len = buf.readUInt32LE(off);
    if (off + 4 + len > buf.length) throw new InvalidInputError(`input "${name}": BYTES element at byte ${off} overruns the tensor`);
    out.push(buf.subarray(off + 4, off + 4 + len));
    off += 4 + len;
  }
  return out;
}

/** Throws unless `v` is a valid JSON element of `datatype` (integers in range, BOOL, BYTES). */
export function checkValue(name: string, datatype: TensorDatatype, index: number, v: unknown): void {
  switch (datatype) {
    case 'BOOL':
      if (typeof v !== 'boolean' && v !== 0 && v !== 1) throw badValue(name, datatype, index, v);
      return;
    case 'BYTES':
      if (typeof v !== 'string' && !(typeof v === 'object' && v !== null && typeof (v as { b64?: unknown }).b64 === 'string')) {
        throw badValue(name, datatype, index, v);
      }
      return;
    case 'FP16':
    case 'FP32':
    case 'FP64':
      if (typeof v !== 'number') throw badValue(name, datatype, index, v);
      return;
    default: {
      const range = INT_RANGE[datatype]!;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v >= range[1]) throw badValue(name, datatype, index, v);
    }
  }
}

/** Validates every element of a flat JSON tensor (see `checkValue`). */
export function checkValues(name: string, datatype: TensorDatatype, values: readonly unknown[]): void {
  for (let i = 0; i < values.length; i++) checkValue(name, datatype, i, values[i]);
}

/**
 * Flat JSON values -> raw little-endian tensor bytes. Validates every element against the
 * datatype (integers in range, booleans for BOOL, strings or `{b64}` for BYTES).
 */
export function valuesToRaw(name: string, datatype: TensorDatatype, values: readonly unknown[]): Buffer {
  if (datatype === 'BYTES') return encodeBytesElements(values.map((v, i) => bytesOf(name, i, v)));
  const size = DATATYPES[datatype].size;
  const out = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    checkValue(name, datatype, i, v);
    const off = i * size;
    const n = v as number;
    switch (datatype) {
      case 'BOOL': out[off] = v ? 1 : 0; break;
      case 'UINT8': out.writeUInt8(n, off); break;
      case 'UINT16': out.writeUInt16LE(n, off); break;
      case 'UINT32': out.writeUInt32LE(n, off); break;
      case 'UINT64': out.writeBigUInt64LE(BigInt(n), off); break;
      case 'INT8': out.writeInt8(n, off); break;
      case 'INT16': out.writeInt16LE(n, off); break;
      case 'INT32': out.writeInt32LE(n, off); break;
      case 'INT64': out.writeBigInt64LE(BigInt(n), off); break;
      case 'FP16': out.writeUInt16LE(toFloat16Bits(n), off); break;
      case 'FP32': out.writeFloatLE(n, off); break;
      case 'FP64': out.writeDoubleLE(n, off); break;
    }
  }
  return out;
}

function utf8OrB64(bytes: Buffer): TensorValue {
  const text = bytes.toString('utf8');
  // Round-trip check: invalid UTF-8 becomes U+FFFD and would not re-encode to the same bytes.
  return Buffer.byteLength(text) === bytes.length && Buffer.from(text, 'utf8').equals(bytes) ? text : { b64: bytes.toString('base64') };
}

/**
 * Raw little-endian tensor bytes -> flat JSON values. BYTES elements become UTF-8 strings,
 * or `{"b64": …}` when they are not valid UTF-8. 64-bit integers become JS numbers (exact up
 * to 2^53). FP16 becomes the float value. Throws when the byte length does not match.
 */
export function rawToValues(name: string, datatype: TensorDatatype, raw: Uint8Array, count?: number): TensorValue[] {
  const buf = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (datatype === 'BYTES') {
    const elements = decodeBytesElements(name, buf).map(utf8OrB64);
    if (count !== undefined && elements.length !== count) {
      throw new InvalidInputError(`input "${name}": binary data holds ${elements.length} BYTES elements, shape expects ${count}`);
    }
    return elements;
  }
  const size = DATATYPES[datatype].size;
  if (buf.length % size !== 0 || (count !== undefined && buf.length !== count * size)) {
    const want = count === undefined ? `a multiple of ${size}` : String(count * size);
    throw new InvalidInputError(`input "${name}": binary data is ${buf.length} bytes, ${datatype} shape expects ${want}`);
  }
  const n = buf.length / size;
  const out: TensorValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * size;
    switch (datatype) {
      case 'BOOL': out[i] = buf[off] !== 0; break;
      case 'UINT8': out[i] = buf.readUInt8(off); break;
      case 'UINT16': out[i] = buf.readUInt16LE(off); break;
      case 'UINT32': out[i] = buf.readUInt32LE(off); break;
      case 'UINT64': out[i] = Number(buf.readBigUInt64LE(off)); break;
      case 'INT8': out[i] = buf.readInt8(off); break;
      case 'INT16': out[i] = buf.readInt16LE(off); break;
      case 'INT32': out[i] = buf.readInt32LE(off); break;
      case 'INT64': out[i] = Number(buf.readBigInt64LE(off)); break;
      case 'FP16': out[i] = fromFloat16Bits(buf.readUInt16LE(off)); break;
      case 'FP32': out[i] = buf.readFloatLE(off); break;
      case 'FP64': out[i] = buf.readDoubleLE(off); break;
    }
  }
  return out;
}

/** Datatype for values with no declared type: BOOL, BYTES, INT64 (all integers) or FP32. */
export function guessDatatype(values: readonly unknown[]): TensorDatatype {
  const first = values[0];
  if (typeof first === 'boolean') return 'BOOL';
  if (typeof first === 'string' || (typeof first === 'object' && first !== null)) return 'BYTES';
  return values.every((v) => Number.isInteger(v)) ? 'INT64' : 'FP32';
}
