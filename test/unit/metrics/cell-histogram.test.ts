/**
 * CellHistogram must be indistinguishable from prom-client's Histogram where it matters: the
 * `get()` data the exposition serializes, hence the `/metrics` text.
 */
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CellHistogram } from '../../../src/metrics/cell-histogram.js';
import { serializeFamily } from '../../../src/metrics/exposition.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABELS = ['model_name', 'model_version'];

/** A deterministic sequence of observations: on bucket bounds, between them, 0, above the last. */
function observations(): [string[], number][] {
  const out: [string[], number][] = [];
  let x = 7;
  const sets = [['b', '1.0'], ['a', '2.0'], ['b', '1.0'], ['c', 'x"\\n']];
  for (let i = 0; i < 500; i++) {
    x = (x * 48271) % 2147483647;
    const pick = x % 4;
    const value = pick === 0 ? BUCKETS[x % BUCKETS.length]! : pick === 1 ? 0 : pick === 2 ? (x % 100000) / 1000 : 12 + (x % 7);
    out.push([sets[i % sets.length]!, value]);
  }
  return out;
}

describe('CellHistogram', () => {
  it('gives the same get() data and /metrics text as prom-client for the same observations', async () => {
    const reference = new Histogram({ name: 'ts_x_seconds', help: 'help text', labelNames: LABELS, buckets: BUCKETS, registers: [new Registry()] });
    const cells = new CellHistogram({ name: 'ts_x_seconds', help: 'help text', labelNames: LABELS, buckets: BUCKETS });
    const bound = new Map<string, (v: number) => void>();
    for (const [labels, value] of observations()) {
      reference.labels(...labels).observe(value);
      const key = labels.join('|');
      if (!bound.has(key)) bound.set(key, cells.bind(labels));
      bound.get(key)!(value);
    }
    const want = await reference.get();
    const got = await cells.get();
    expect(got.values).toEqual(want.values);
    expect({ name: got.name, help: got.help, type: got.type }).toEqual({ name: want.name, help: want.help, type: want.type });
    expect(serializeFamily(got)).toBe(serializeFamily(want));
  });

  it('two observers of one label set feed one series; nothing is shown before the first observation', async () => {
    const h = new CellHistogram({ name: 'h', help: 'h', labelNames: ['m'], buckets: [1, 2] });
    const first = h.bind(['x']);
    const second = h.bind(['x']);
    const unused = h.bind(['y']);
    void unused;
    expect((await h.get()).values).toEqual([]);
    first(0.5);
    second(1.5);
    second(Number.NaN); // ignored, as it must never throw into a request
    const text = serializeFamily(await h.get());
    expect(text).toContain('h_bucket{m="x",le="1.0",} 1.0\n');
    expect(text).toContain('h_bucket{m="x",le="2.0",} 2.0\n');
    expect(text).toContain('h_count{m="x",} 2.0\n');
    expect(text).not.toContain('m="y"');
  });

  it('refuses buckets that are not ascending', () => {
    expect(() => new CellHistogram({ name: 'h', help: 'h', labelNames: [], buckets: [1, 1] })).toThrow(/ascending/);
  });
});
