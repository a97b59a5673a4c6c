/**
 * Deterministic pseudo-random numbers for generated model weights. Every tensor draws from its
 * own stream, seeded from (model seed, tensor name), so a tensor's bytes do not depend on the
 * order tensors are written or on the chunk size used to stream them.
 */

/** FNV-1a over the UTF-16 code units of `name`, mixed with `seed`; returns a uint32. */
export function hashSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32) so nearby names give unrelated streams.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** sfc32: small, fast, 128-bit state; good enough for weight initialisation. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * Fills `out` with values of mean `mean` and standard deviation `std`, drawn from a uniform
   * distribution of that variance (half-width std·√3). Uniform is ~4x cheaper than Gaussian,
   * which matters when streaming billions of weights, and keeps every value bounded.
   */
  fillUniform(out: Float32Array, mean: number, std: number): void {
    const half = std * Math.sqrt(3);
    const scale = (2 * half) / 4294967296;
    const base = mean - half;
    for (let i = 0; i < out.length; i++) out[i] = base + this.nextUint32() * scale;
  }
}
