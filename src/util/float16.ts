/**
 * IEEE 754 binary16 ("half", FP16) conversions over raw 16-bit patterns: Node 20 has no
 * Float16Array, so FP16 tensors (onnxruntime `float16`, KServe v2 `FP16`, ONNX initializers)
 * travel as Uint16 bit patterns. Encoding goes through float32 first (as a Float32Array would
 * store the value), then rounds to nearest, ties to even; overflow becomes ±Infinity, NaN stays
 * a (quiet) NaN, small values become subnormals or ±0.
 *
 * Dependency-free. The only module-level data are a one-element scratch pair (used synchronously
 * inside `toFloat16Bits`, never observable) and the decode table of `float16ToFloat32Array`,
 * built lazily once per thread and never changed afterwards.
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** number → half bits: rounds to float32, then to half (nearest, ties to even). */
export function toFloat16Bits(value: number): number {
  scratchF32[0] = value;
  return float32BitsToFloat16Bits(scratchU32[0] as number);
}

/** half bits → number (exact: every half is a double). */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** A float32 bit pattern (as uint32) → half bits, round to nearest even. */
function float32BitsToFloat16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/**
 * Array of numbers → half bits, element by element exactly as `toFloat16Bits`, into `dst`
 * (a new array when omitted). A Float32Array source is read through its bits, with a fast path
 * for results in the normal half range.
 */
export function float32ToFloat16Array(src: ArrayLike<number>, dst: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  if (!(src instanceof Float32Array)) {
    for (let i = 0; i < src.length; i++) dst[i] = toFloat16Bits(src[i] as number);
    return dst;
  }
  // Int32 view: uint32 reads above 2^31 would be heap numbers and slow the loop down ~5x.
  const bits = new Int32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i] as number;
    const ax = x & 0x7fffffff;
    if (ax >= 0x38800000 && ax < 0x477ff000) {
      // [2^-14, 65520): the result is a normal half. Round to nearest even on the 13 dropped
      // bits (a carry bumps the exponent), then rebias the exponent from 127 to 15.
      dst[i] = ((x >>> 16) & 0x8000) | (((ax + 0xfff + ((ax >>> 13) & 1)) >>> 13) - 0x1c000);
    } else dst[i] = float32BitsToFloat16Bits(x >>> 0);
  }
  return dst;
}

let decodeTable: Float32Array | undefined;

/** Half bits → float32, into `dst` (a new array when omitted), through a 65,536-entry table (256 KiB, built on first use). */
export function float16ToFloat32Array(src: Uint16Array, dst: Float32Array = new Float32Array(src.length)): Float32Array {
  if (!decodeTable) {
    const table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromFloat16Bits(h);
    decodeTable = table;
  }
  const table = decodeTable;
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i] as number] as number;
  return dst;
}
