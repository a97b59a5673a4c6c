/**
 * A CPU random generator that reproduces `torch.Generator("cpu").manual_seed(seed)` followed by
 * `torch.randn(n)` in float32 (PyTorch's mt19937 and `normal_fill` layout), so that a `seed`
 * gives the same initial latents as a diffusers fp32 pipeline. Pure; state lives in the instance.
 */

const N = 624;
const M = 397;
const TWO_PI = 2 * Math.PI;

export class TorchGenerator {
  readonly #state = new Uint32Array(N);
  #index = N;
  /** torch keeps the second Box–Muller sample of the scalar path in the generator. */
  #nextNormal: number | undefined;

  constructor(seed: number | bigint) {
    this.manualSeed(seed);
  }

  /** torch's `manual_seed`: mt19937 seeded with the low 32 bits of the seed. */
  manualSeed(seed: number | bigint): void {
    const s = BigInt.asUintN(32, BigInt(seed));
    const st = this.#state;
    st[0] = Number(s);
    for (let j = 1; j < N; j++) {
      const prev = st[j - 1] as number;
      const x = prev ^ (prev >>> 30);
      // 1812433253 * x + j, modulo 2^32, without losing precision.
      st[j] = (Math.imul(x, 1812433253) + j) >>> 0;
    }
    this.#index = N;
    this.#nextNormal = undefined;
  }

  /** Next raw 32-bit output of mt19937. */
  nextUint32(): number {
    const st = this.#state;
    if (this.#index >= N) {
      for (let k = 0; k < N; k++) {
        const y = ((st[k] as number) & 0x80000000) | ((st[(k + 1) % N] as number) & 0x7fffffff);
        let v = (st[(k + M) % N] as number) ^ (y >>> 1);
        if (y & 1) v ^= 0x9908b0df;
        st[k] = v >>> 0;
      }
      this.#index = 0;
    }
    let y = st[this.#index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** torch's float32 uniform in [0,1): 24 random bits. */
  uniformFloat32(): number {
    return (this.nextUint32() & 0xffffff) * 2 ** -24;
  }

  /** torch's float64 uniform in [0,1): 53 bits of a 64-bit draw (hi word first). */
  uniformFloat64(): number {
    const hi = this.nextUint32();
    const lo = this.nextUint32();
    // ((hi << 32) | lo) & (2^53 − 1), scaled by 2^−53.
    return ((hi & 0x1fffff) * 2 ** 32 + lo) * 2 ** -53;
  }

  /**
   * `torch.randn(n, dtype=float32)` into `out` (length n). Tensors of ≥ 16 elements use the
   * vectorised layout (uniform fill, Box–Muller over blocks of 16, the tail redrawn); smaller
   * ones the scalar double-precision path with its cached second sample.
   */
  randn(out: Float32Array): Float32Array {
    const n = out.length;
    if (n >= 16) {
      for (let i = 0; i < n; i++) out[i] = this.uniformFloat32();
      for (let i = 0; i + 16 <= n; i += 16) boxMuller16(out, i);
      if (n % 16 !== 0) {
        const base = n - 16;
        for (let i = 0; i < 16; i++) out[base + i] = this.uniformFloat32();
        boxMuller16(out, base);
      }
      return out;
    }
    for (let i = 0; i < n; i++) {
      if (this.#nextNormal !== undefined) {
        out[i] = this.#nextNormal;
        this.#nextNormal = undefined;
        continue;
      }
      const u1 = this.uniformFloat64();
      const u2 = this.uniformFloat64();
      const r = Math.sqrt(-2 * Math.log1p(-u2));
      const theta = TWO_PI * u1;
      this.#nextNormal = r * Math.sin(theta);
      out[i] = r * Math.cos(theta);
    }
    return out;
  }
}

function boxMuller16(data: Float32Array, i: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = Math.fround(1 - (data[i + j] as number));
    const u2 = data[i + 8 + j] as number;
    const radius = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u1)))));
    const theta = Math.fround(Math.fround(TWO_PI) * u2);
    data[i + j] = radius * Math.fround(Math.cos(theta));
    data[i + 8 + j] = radius * Math.fround(Math.sin(theta));
  }
}
