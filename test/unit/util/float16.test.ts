import { describe, expect, it } from 'vitest';
import { float16ToFloat32Array, float32ToFloat16Array, fromFloat16Bits, toFloat16Bits } from '../../../src/util/float16.js';

const isNaNBits = (bits: number): boolean => (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
const even = (a: number, b: number): number => ((a & 1) === 0 ? a : b);

/** Every finite positive half h with its successor, the float32 midpoint and its float32 neighbours. */
function midpoints(): { below: number; h: number; mid: number; above: number; next: number }[] {
  const rows = [];
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let h = 0; h < 0x7bff; h++) {
    f[0] = (fromFloat16Bits(h) + fromFloat16Bits(h + 1)) / 2; // exact in float32 (12 significant bits)
    const mid = f[0]!;
    u[0] = u[0]! - 1;
    const below = f[0]!;
    u[0] = u[0]! + 2;
    rows.push({ below, h, mid, above: f[0]!, next: h + 1 });
  }
  return rows;
}

describe('scalar half conversion', () => {
  it.each([
    [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [6.8, 0x46cd], [0.1, 0x2e66], [-2.5, 0xc100], [1234.5, 0x64d2],
    [0, 0x0000], [-0, 0x8000],
    [65504, 0x7bff], [65519.996, 0x7bff], [65520, 0x7c00], [70000, 0x7c00], [1e6, 0x7c00], [1e300, 0x7c00], [Infinity, 0x7c00], [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], [2 ** -14 - 2 ** -25, 0x0400], [2 ** -14 - 2 ** -24, 0x03ff], // largest subnormal, and the tie up to the smallest normal
    [2 ** -24, 0x0001], [2 ** -25, 0x0000], [2 ** -25 * 1.0001, 0x0001], [3 * 2 ** -25, 0x0002], [-(2 ** -24), 0x8001], [1e-10, 0x0000], [-1e-10, 0x8000],
    [1 + 2 ** -11, 0x3c00], // tie: even wins (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie: even wins (up)
    [1 + 2 ** -11 + 2 ** -40, 0x3c00], // rounded to float32 first, which makes it a tie
  ])('%d encodes to half bits %i', (value, bits) => {
    expect(toFloat16Bits(value)).toBe(bits);
  });

  it('every one of the 65,536 patterns decodes and re-encodes to itself (NaNs to a quiet NaN)', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromFloat16Bits(bits);
      if (isNaNBits(bits)) {
        if (!Number.isNaN(value) || !isNaNBits(toFloat16Bits(value))) wrong.push(bits);
      } else if (toFloat16Bits(value) !== bits || Object.is(value, -0) !== (bits === 0x8000)) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('decodes exactly: anchors, subnormal spacing, infinities, NaN, monotonic order', () => {
    expect([0x3c00, 0xc100, 0x7bff, 0x0400, 0x03ff, 0x0001, 0x7c00, 0xfc00].map(fromFloat16Bits))
      .toEqual([1, -2.5, 65504, 2 ** -14, 1023 * 2 ** -24, 2 ** -24, Infinity, -Infinity]);
    expect(fromFloat16Bits(toFloat16Bits(6.8))).toBe(6.80078125);
    expect(fromFloat16Bits(toFloat16Bits(1.4))).toBe(1.400390625);
    expect(fromFloat16Bits(0x7e00)).toBeNaN();
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
    for (let bits = 1; bits <= 0x7c00; bits++) {
      if (!(fromFloat16Bits(bits) > fromFloat16Bits(bits - 1))) throw new Error(`not increasing at 0x${bits.toString(16)}`);
      if (fromFloat16Bits(bits | 0x8000) !== -fromFloat16Bits(bits)) throw new Error(`sign at 0x${bits.toString(16)}`);
    }
  });

  it('rounds to nearest at every midpoint between neighbouring halves, ties to even', () => {
    const wrong: string[] = [];
    for (const { below, h, mid, above, next } of midpoints()) {
      if (toFloat16Bits(below) !== h) wrong.push(`below ${below}`);
      if (toFloat16Bits(mid) !== even(h, next)) wrong.push(`tie ${mid}`);
      if (toFloat16Bits(above) !== next) wrong.push(`above ${above}`);
      if (toFloat16Bits(-mid) !== (even(h, next) | 0x8000)) wrong.push(`tie ${-mid}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('array half conversion', () => {
  it('encodes a Float32Array exactly as the scalar does at every midpoint, range edge and special value', () => {
    const values: number[] = [0, -0, NaN, Infinity, -Infinity, 65504, 65519, 65519.996, 65520, 1e6, 2 ** -14, 2 ** -14 * 0.99999, 2 ** -20, 1e-9, 1e-45];
    for (const { below, mid, above } of midpoints()) values.push(below, mid, above, -below, -mid, -above);
    for (let i = 0; i < 4000; i++) values.push(Math.sin(i * 7.1) * 10 ** ((i % 14) - 8));
    const src = Float32Array.from(values);
    const half = float32ToFloat16Array(src);
    const wrong = values.filter((_, i) => half[i] !== toFloat16Bits(src[i]!));
    expect(wrong).toEqual([]);
  });

  it('reads a Float32Array view at its offset, writes into the given buffer, and accepts plain arrays', () => {
    const backing = Float32Array.from([9, 9, 9, 1, -2, 0.5, 65520, 9]);
    const view = backing.subarray(3, 7);
    const dst = new Uint16Array(4);
    expect(float32ToFloat16Array(view, dst)).toBe(dst);
    expect([...dst]).toEqual([0x3c00, 0xc000, 0x3800, 0x7c00]);
    expect([...float32ToFloat16Array([1, -2, 0.5, 1 + 2 ** -11])]).toEqual([0x3c00, 0xc000, 0x3800, 0x3c00]);
  });

  it('decodes all 65,536 patterns to the scalar values (NaN, -0 included), into the given buffer', () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
    const dst = new Float32Array(all.length);
    expect(float16ToFloat32Array(all, dst)).toBe(dst);
    const wrong = [...all].filter((bits) => !Object.is(dst[bits], Math.fround(fromFloat16Bits(bits))));
    expect(wrong).toEqual([]);
    expect([...float16ToFloat32Array(Uint16Array.of(0x3c00, 0xc000))]).toEqual([1, -2]);
  });
});
