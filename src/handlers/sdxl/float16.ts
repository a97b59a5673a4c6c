/** IEEE-754 half ↔ float32 conversion over raw bits (Node 20 has no Float16Array). Pure. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → half bits, round to nearest even (overflow → ±Inf, NaN kept). */
export function toHalfBits(value: number): number {
  f32[0] = value;
  return bitsToHalf(u32[0] as number);
}

/** float32 bit pattern → half bits. */
function bitsToHalf(x: number): number {
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
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** float32 → half over a whole array. A Float32Array is read through its bits (no scratch). */
export function float32ToHalf(src: ArrayLike<number>, dst: Uint16Array): Uint16Array {
  if (!(src instanceof Float32Array)) {
    for (let i = 0; i < src.length; i++) dst[i] = toHalfBits(src[i] as number);
    return dst;
  }
  // Int32 view: uint32 reads above 2^31 would be heap numbers and slow the loop down ~5x.
  const bits = new Int32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i] as number;
    const ax = x & 0x7fffffff;
    if (ax >= 0x38800000 && ax < 0x477ff000) {
      // Results in the normal half range: round to nearest even on the bits, then rebias.
      dst[i] = ((x >>> 16) & 0x8000) | (((ax + 0xfff + ((ax >>> 13) & 1)) >>> 13) - 0x1c000);
    } else dst[i] = bitsToHalf(x >>> 0);
  }
  return dst;
}

let halfTable: Float32Array | undefined;

/** half → float32 through a 65,536-entry table (built once per thread, 256 KiB). */
export function halfToFloat32(src: Uint16Array, dst: Float32Array): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalfBits(h);
  }
  const table = halfTable;
  for (let i = 0; i < src.length; i++) dst[i] = table[src[i] as number] as number;
  return dst;
}
