import { describe, expect, it } from 'vitest';
import { escapeLabelValue, javaDouble, serializeFamily } from '../../../src/metrics/exposition.js';
import { parsePrometheusText } from './prom-text-parser.js';

describe('javaDouble (Java Double.toString, Go infinities)', () => {
  it.each([
    [8, '8.0'], [290371.129, '290371.129'], [12345678, '1.2345678E7'], [1e7, '1.0E7'], [9999999.5, '9999999.5'],
    [0.0001, '1.0E-4'], [0.001, '0.001'], [0.00012, '1.2E-4'], [0, '0.0'], [-0, '-0.0'], [-1.5, '-1.5'], [1e21, '1.0E21'],
    [NaN, 'NaN'], [Infinity, '+Inf'], [-Infinity, '-Inf'],
  ])('%d -> %s', (value, text) => {
    expect(javaDouble(value)).toBe(text);
  });
});

describe('serializeFamily', () => {
  it('writes simpleclient\'s layout: trailing label comma, Java doubles, le last, _count before _sum', () => {
    const text = serializeFamily({
      name: 'lat', help: 'a\\b\nc', type: 'histogram' as never, aggregator: 'sum',
      values: [
        { metricName: 'lat_bucket', labels: { le: 0.5, m: 'x' }, value: 1 },
        { metricName: 'lat_bucket', labels: { le: 1, m: 'x' }, value: 2 },
        { metricName: 'lat_bucket', labels: { le: '+Inf', m: 'x' }, value: 2 },
        { metricName: 'lat_sum', labels: { m: 'x' }, value: 1.25 },
        { metricName: 'lat_count', labels: { m: 'x' }, value: 2 },
      ] as never,
    });
    expect(text).toBe(
      '# HELP lat a\\\\b\\nc\n# TYPE lat histogram\n' +
        'lat_bucket{m="x",le="0.5",} 1.0\nlat_bucket{m="x",le="1.0",} 2.0\nlat_bucket{m="x",le="+Inf",} 2.0\n' +
        'lat_count{m="x",} 2.0\nlat_sum{m="x",} 1.25\n',
    );
    expect(parsePrometheusText(text).get('lat')?.samples).toHaveLength(5);
  });

  it('escapes label values so the strict parser reads them back', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = serializeFamily({ name: 'g', help: 'h', type: 'gauge' as never, aggregator: 'sum', values: [{ labels: { v: 'a"b\\c\nd' }, value: 3 }] as never });
    expect(parsePrometheusText(text).get('g')?.samples[0]?.labels).toEqual({ v: 'a"b\\c\nd' });
  });
});
