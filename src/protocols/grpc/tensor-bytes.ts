/**
 * Raw tensor bytes of the Open Inference Protocol (`raw_input_contents` /
 * `raw_output_contents`): flattened row-major, little-endian, no padding; BOOL is one byte
 * (0/1); BYTES elements are each a 4-byte little-endian length followed by the bytes; FP16 is
 * IEEE half precision. Pure functions.
 */
import { InvalidInputError } from '../../errors/index.js';
import type { TensorDatatype } from '../../inference/types.js';
import { fromFloat16Bits, toFloat16Bits } from '../../util/float16.js';

/** One decoded element: numbers, booleans, 64-bit integers as bigint, BYTES as bytes. */
export type TensorElement = number | boolean | bigint | Uint8Array;

export const ELEMENT_SIZE: Readonly<Record<Exclude<TensorDatatype, 'BYTES'>, number>> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

/** Decode one tensor's raw bytes. `name` is used in error messages. */
export function readRawTensor(datatype: TensorDatatype, bytes: Uint8Array, name: string): TensorElement[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: TensorElement[] = [];
  if (datatype === 'BYTES') {
    let offset = 0;
    while (offset < bytes.byteLength) {
      if (offset + 4 > bytes.byteLength) throw new InvalidInputError(`raw BYTES content of input ${name} is truncated`);
      const length = view.getUint32(offset, true);
      offset += 4;
      if (offset + length > bytes.byteLength) throw new InvalidInputError(`raw BYTES content of input ${name} is truncated`);
      out.push(bytes.subarray(offset, offset + length));
      offset += length;
    }
    return out;
  }
  const size = ELEMENT_SIZE[datatype];
  if (bytes.byteLength % size !== 0) {
    throw new InvalidInputError(`raw content of input ${name} has ${bytes.byteLength} bytes, not a multiple of ${size} (${datatype})`);
  }
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    switch (datatype) {
      case 'BOOL': out.push(view.getUint8(offset) !== 0); break;
      case 'UINT8': out.push(view.getUint8(offset)); break;
      case 'INT8': out.push(view.getInt8(offset)); break;
      case 'UINT16': out.push(view.getUint16(offset, true)); break;
      case 'INT16': out.push(view.getInt16(offset, true)); break;
      case 'FP16': out.push(fromFloat16Bits(view.getUint16(offset, true))); break;
      case 'UINT32': out.push(view.getUint32(offset, true)); break;
      case 'INT32': out.push(view.getInt32(offset, true)); break;
      case 'FP32': out.push(view.getFloat32(offset, true)); break;
      case 'UINT64': out.push(view.getBigUint64(offset, true)); break;
      case 'INT64': out.push(view.getBigInt64(offset, true)); break;
      case 'FP64': out.push(view.getFloat64(offset, true)); break;
    }
  }
  return out;
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') return BigInt(value);
  return BigInt(Math.trunc(Number(value)));
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
}

/** Encode one tensor's elements as raw bytes. */
export function writeRawTensor(datatype: TensorDatatype, values: readonly unknown[]): Buffer {
  if (datatype === 'BYTES') {
    const parts: Uint8Array[] = [];
    for (const value of values) {
      const bytes = toBytes(value);
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32LE(bytes.byteLength, 0);
      parts.push(prefix, bytes);
    }
    return Buffer.concat(parts);
  }
  const size = ELEMENT_SIZE[datatype];
  const buffer = Buffer.alloc(values.length * size);
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  values.forEach((value, i) => {
    const offset = i * size;
    const n = Number(value);
    switch (datatype) {
      case 'BOOL': view.setUint8(offset, value === true || n !== 0 ? 1 : 0); break;
      case 'UINT8': view.setUint8(offset, n); break;
      case 'INT8': view.setInt8(offset, n); break;
      case 'UINT16': view.setUint16(offset, n, true); break;
      case 'INT16': view.setInt16(offset, n, true); break;
      case 'FP16': view.setUint16(offset, toFloat16Bits(n), true); break;
      case 'UINT32': view.setUint32(offset, n, true); break;
      case 'INT32': view.setInt32(offset, n, true); break;
      case 'FP32': view.setFloat32(offset, n, true); break;
      case 'UINT64': view.setBigUint64(offset, BigInt.asUintN(64, toBigInt(value)), true); break;
      case 'INT64': view.setBigInt64(offset, BigInt.asIntN(64, toBigInt(value)), true); break;
      case 'FP64': view.setFloat64(offset, n, true); break;
    }
  });
  return buffer;
}
