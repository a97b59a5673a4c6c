/**
 * A histogram family for the request path: observing is a bucket search and three additions on
 * a cell bound once per label set. prom-client's Histogram re-validates and re-hashes the label
 * set on every observation (no pre-bound fast path), and it has no bulk update to defer to a
 * scrape the way counters and gauges are (metrics.ts). The registry and the exposition read it
 * through the same `get()` shape as a prom-client Histogram (buckets cumulative, `+Inf`, then
 * `_sum` and `_count` per label set, label sets in order of first observation), so `/metrics`
 * is byte-for-byte what prom-client gave (test/unit/metrics/cell-histogram.test.ts).
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

interface Cell {
  labels: Record<string, string>;
  counts: number[];
  sum: number;
  count: number;
}

export interface CellHistogramConfig {
  name: string;
  help: string;
  labelNames: readonly string[];
  /** Upper bounds, ascending (as prom-client requires). */
  buckets: readonly number[];
}

export class CellHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly labelNames: readonly string[];
  private readonly upperBounds: readonly number[];
  /** Label sets in order of first observation. */
  private readonly cells: Cell[] = [];
  private readonly byKey = new Map<string, Cell>();

  constructor(config: CellHistogramConfig) {
    for (let i = 1; i < config.buckets.length; i++) {
      if (!(config.buckets[i]! > config.buckets[i - 1]!)) throw new Error(`${config.name}: buckets must be in ascending order`);
    }
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames;
    this.upperBounds = [...config.buckets];
  }

  /** An observer for one label set (values in `labelNames` order). Non-finite values are ignored. */
  bind(values: readonly string[]): (value: number) => void {
    const key = values.join('\u0000');
    const bounds = this.upperBounds;
    let cell: Cell | undefined;
    return (value) => {
      if (!Number.isFinite(value)) return;
      cell ??= this.cellFor(key, values);
      let i = 0;
      while (i < bounds.length && value > bounds[i]!) i++;
      if (i < bounds.length) cell.counts[i]!++;
      cell.sum += value;
      cell.count++;
    };
  }

  async get(): Promise<MetricObjectWithValues<MetricValue<string>>> {
    const values: MetricValue<string>[] = [];
    const name = this.name;
    for (const cell of this.cells) {
      let acc = 0;
      this.upperBounds.forEach((le, i) => {
        acc += cell.counts[i]!;
        values.push({ value: acc, metricName: `${name}_bucket`, exemplar: null, labels: { le, ...cell.labels } } as MetricValue<string>);
      });
      values.push({ value: cell.count, metricName: `${name}_bucket`, exemplar: null, labels: { le: '+Inf', ...cell.labels } } as MetricValue<string>);
      values.push({ value: cell.sum, metricName: `${name}_sum`, labels: { ...cell.labels } } as MetricValue<string>);
      values.push({ value: cell.count, metricName: `${name}_count`, labels: { ...cell.labels } } as MetricValue<string>);
    }
    return { name, help: this.help, type: this.type, values, aggregator: this.aggregator } as unknown as MetricObjectWithValues<MetricValue<string>>;
  }

  private cellFor(key: string, values: readonly string[]): Cell {
    let cell = this.byKey.get(key);
    if (cell === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i]!));
      cell = { labels, counts: new Array<number>(this.upperBounds.length).fill(0), sum: 0, count: 0 };
      this.byKey.set(key, cell);
      this.cells.push(cell);
    }
    return cell;
  }
}
