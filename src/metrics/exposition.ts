/**
 * Prometheus text format 0.0.4 as TorchServe's Java `io.prometheus:simpleclient` 0.9 writes it,
 * because clients and TorchServe's own tests match on it with regexes
 * (`Requests2XX\{Level="Host",Hostname=".*",\} \d+\.\d+`):
 *
 * - a trailing comma after the last label: `name{a="1",b="2",} 8.0`;
 * - values as Java `Double.toString` (`8.0`, `290371.129`, `1.2345678E7`, `1.0E-4`) with Go's
 *   `+Inf` / `-Inf` / `NaN`; histogram `le` labels the same way (`le="1.0"`, `le="+Inf"`);
 * - `le` is the last label; histogram samples in the order buckets, `_count`, `_sum`;
 * - `# HELP` and `# TYPE` printed even for families without samples.
 *
 * Pure: takes prom-client's `MetricObjectWithValues` objects.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Java `Double.toString`, with Go's spelling of infinities (simpleclient's `doubleToGoString`). */
export function javaDouble(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(v);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(v);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exponent] = v.toExponential().split('e') as [string, string];
  return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
}

export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelText(labels: Record<string, string | number | undefined> | undefined): string {
  if (labels === undefined) return '';
  let out = '';
  let le: string | number | undefined;
  for (const key in labels) {
    const value = labels[key];
    if (key === 'le') le = value;
    else if (value !== undefined) out += `${key}="${escapeLabelValue(String(value))}",`;
  }
  if (le !== undefined) out += `le="${typeof le === 'number' ? javaDouble(le) : le}",`;
  return out === '' ? '' : `{${out}}`;
}

function sampleLine(name: string, value: MetricValue<string>): string {
  return `${(value as { metricName?: string }).metricName ?? name}${labelText(value.labels)} ${javaDouble(value.value)}\n`;
}

/** One family in simpleclient's layout. */
export function serializeFamily(metric: MetricObjectWithValues<MetricValue<string>>): string {
  let out = `# HELP ${metric.name} ${escapeHelp(metric.help)}\n# TYPE ${metric.name} ${metric.type}\n`;
  const values = metric.values;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const next = values[i + 1];
    // prom-client emits `_sum` then `_count` per child; simpleclient the reverse.
    if (next !== undefined && (v as { metricName?: string }).metricName === `${metric.name}_sum` && (next as { metricName?: string }).metricName === `${metric.name}_count`) {
      out += sampleLine(metric.name, next) + sampleLine(metric.name, v);
      i++;
      continue;
    }
    out += sampleLine(metric.name, v);
  }
  return out;
}
