import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../../../../src/handlers/sdxl/torch-random.js';

/** Values from torch 2.11 CPU (`torch.Generator("cpu").manual_seed(s)` + `torch.randn`), see bench/sdxl/torch-reference.py. */
const dir = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/sdxl-clip');
const ref = JSON.parse(readFileSync(join(dir, 'torch-reference.json'), 'utf8')) as Record<string, unknown>;
const vec = (k: string): number[] => ref[k] as number[];

function expectClose(actual: Float32Array, expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  expect(worst).toBeLessThan(2e-6);
}

describe('TorchGenerator', () => {
  it('mt19937 with the reference seed 5489 starts with 3499211612', () => {
    expect(new TorchGenerator(5489).nextUint32()).toBe(3499211612);
  });

  it('seed 0, randn(6): the scalar path gives torch\'s 1.5410, −0.2934, −2.1788 …', () => {
    const out = new TorchGenerator(0).randn(new Float32Array(6));
    expect(out[0]).toBeCloseTo(1.541, 4);
    expectClose(out, vec('randn_0_6'));
  });

  it('seed 0, randn(16) and randn(25): the blocks-of-16 path with the redrawn tail', () => {
    expectClose(new TorchGenerator(0).randn(new Float32Array(16)), vec('randn_0_16'));
    expectClose(new TorchGenerator(0).randn(new Float32Array(25)), vec('randn_0_25'));
  });

  it('seed 42, a [1,4,8,8] latent', () => {
    expectClose(new TorchGenerator(42).randn(new Float32Array(256)), vec('randn_42_1x4x8x8'));
  });

  it('successive draws continue the stream (latents, then per-step noise)', () => {
    const seq = ref['seq_7'] as { a: number[]; b: number[]; c: number[] };
    const g = new TorchGenerator(7);
    expectClose(g.randn(new Float32Array(64)), seq.a);
    expectClose(g.randn(new Float32Array(3)), seq.b);
    expectClose(g.randn(new Float32Array(128)), seq.c);
  });

  it('seeds above 2^32 keep the low 32 bits, as torch does', () => {
    expectClose(new TorchGenerator(2n ** 32n + 5n).randn(new Float32Array(20)), vec('randn_2pow32_plus_5_20'));
    expect(Array.from(new TorchGenerator(5).randn(new Float32Array(20)))).toEqual(
      Array.from(new TorchGenerator(2n ** 32n + 5n).randn(new Float32Array(20))),
    );
  });
});
