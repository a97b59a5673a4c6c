/**
 * A strict parser for the Prometheus text exposition format 0.0.4 (as Prometheus' own Go
 * parser reads it: trailing commas in label sets allowed, Go float syntax for values). Throws on
 * anything a scraper would reject: samples before their # TYPE, unknown types, bad names,
 * duplicate series, malformed labels or values, non-monotonic histogram buckets, a `+Inf`
 * bucket that differs from `_count`.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|Inf|NaN)$/;

function parseValue(text: string, line: string): number {
  if (!FLOAT.test(text)) throw new Error(`bad value "${text}" in: ${line}`);
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq === -1) throw new Error(`bad label set in: ${line}`);
    const name = text.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`bad label name "${name}" in: ${line}`);
    if (text[eq + 1] !== '"') throw new Error(`unquoted label value in: ${line}`);
    let j = eq + 2;
    let value = '';
    while (j < text.length && text[j] !== '"') {
      if (text[j] === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape in: ${line}`);
        j += 2;
      } else value += text[j++];
    }
    if (text[j] !== '"') throw new Error(`unterminated label value in: ${line}`);
    if (name in labels) throw new Error(`duplicate label "${name}" in: ${line}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`expected , in: ${line}`);
  }
  return labels;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const familyOf = (sample: string): Family | undefined => {
    for (const suffix of ['', '_bucket', '_count', '_sum']) {
      if (suffix !== '' && !sample.endsWith(suffix)) continue;
      const f = families.get(sample.slice(0, sample.length - suffix.length));
      if (f !== undefined && (suffix === '' || f.type === 'histogram' || f.type === 'summary')) return f;
    }
    return undefined;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) {
      const [, name, ...help] = line.split(' ').slice(1);
      if (!NAME.test(name ?? '')) throw new Error(`bad HELP: ${line}`);
      families.set(name!, { name: name!, type: 'untyped', help: help.join(' '), samples: [] });
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) throw new Error(`bad TYPE: ${line}`);
      const f = families.get(name!) ?? { name: name!, type: 'untyped', help: '', samples: [] };
      if (f.samples.length > 0) throw new Error(`TYPE after samples: ${line}`);
      f.type = type!;
      families.set(name!, f);
      continue;
    }
    if (line.startsWith('#')) continue;
    const brace = line.indexOf('{');
    const space = brace === -1 ? line.indexOf(' ') : line.indexOf('} ') + 1;
    if (space <= 0) throw new Error(`bad sample: ${line}`);
    const name = brace === -1 ? line.slice(0, space) : line.slice(0, brace);
    if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
    const labels = brace === -1 ? {} : parseLabels(line.slice(brace + 1, space - 1), line);
    const parts = line.slice(space + 1).split(' ');
    if (parts.length > 2) throw new Error(`trailing garbage: ${line}`);
    const family = familyOf(name);
    if (family === undefined) throw new Error(`sample without # TYPE: ${line}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series: ${line}`);
    seen.add(key);
    family.samples.push({ name, labels, value: parseValue(parts[0]!, line) });
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${f.name}_bucket`) entry.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    if (s.name === `${f.name}_count`) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of series) {
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]![0] <= buckets[i - 1]![0] || buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${f.name}${key}: buckets not monotonic`);
    }
    if (buckets.at(-1)?.[0] !== Infinity || buckets.at(-1)?.[1] !== count) throw new Error(`${f.name}${key}: +Inf bucket must equal _count`);
  }
}

/** The one sample of `family` whose labels include `labels`. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}, sampleName = name): number | undefined {
  const f = families.get(name);
  return f?.samples.find((s) => s.name === sampleName && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}
