/**
 * Typed readings of property strings (pure). Each throws `ConfigError(key, value, expected)` on
 * a bad value; `key` may carry its origin (`job_queue_size (from TS_JOB_QUEUE_SIZE)`).
 */
import { ConfigError } from '../errors/errors.js';

/** `$$NAME$$` (at least two characters, none of them `$`), as TorchServe matches it. */
const ENV_REF = /\$\$([^$]+[^$])\$\$/g;

/**
 * Replaces every `$$NAME$$` in `value` with `env[NAME]`. A missing variable is an error
 * (TorchServe: "Invalid Environment Variable NAME"). Replacement text is inserted literally.
 */
export function substituteEnvRefs(key: string, value: string, env: Record<string, string | undefined>): string {
  if (!value.includes('$$')) return value;
  return value.replace(ENV_REF, (_match, name: string) => {
    const v = env[name];
    if (v === undefined) throw new ConfigError(key, value, `environment variable ${name} to be set (referenced as $$${name}$$)`);
    return v;
  });
}

export interface IntRange {
  min?: number | undefined;
  max?: number | undefined;
}

/**
 * Decimal integer, optional sign, as Java's `Integer.parseInt` (surrounding blanks are
 * tolerated, which TorchServe does not). Bounds default to the Java int range.
 */
export function parseIntValue(key: string, value: string, range: IntRange = {}): number {
  const t = value.trim();
  const min = range.min ?? -2_147_483_648;
  const max = range.max ?? 2_147_483_647;
  const expected = `an integer from ${min} to ${max}`;
  if (!/^[+-]?\d+$/.test(t)) throw new ConfigError(key, value, expected);
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(key, value, expected);
  return n;
}

/** A decimal number (Java `Double.parseDouble` for ordinary notation). */
export function parseDoubleValue(key: string, value: string, range: IntRange = {}): number {
  const t = value.trim();
  const n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : Number.NaN;
  const min = range.min ?? -Number.MAX_VALUE;
  if (!Number.isFinite(n) || n < min) throw new ConfigError(key, value, min === 0 ? 'a number >= 0' : 'a number');
  return n;
}

/**
 * Java `Boolean.parseBoolean`: only `true` (any case) is true, anything else false. Values
 * other than true/false are accepted, as TorchServe accepts them, with a warning.
 */
export function parseBoolValue(key: string, value: string, warnings: string[]): boolean {
  const t = value.trim().toLowerCase();
  if (t !== 'true' && t !== 'false') {
    warnings.push(`${key}=${JSON.stringify(value)} is neither true nor false; read as false (as TorchServe does)`);
  }
  return t === 'true';
}

/** Comma-separated list, entries trimmed, empty entries dropped. */
export function parseListValue(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** `allowed_urls`: each entry is a regex matched against the whole URL, case-insensitively. */
export function parseAllowedUrls(key: string, value: string): RegExp[] {
  return parseListValue(value).map((source) => {
    try {
      return new RegExp(`^(?:${source})$`, 'i');
    } catch (err) {
      throw new ConfigError(key, source, 'a valid regular expression', { cause: err });
    }
  });
}

/** A regex that must compile (e.g. `blacklist_env_vars`); returns the source unchanged. */
export function checkRegex(key: string, value: string): string {
  try {
    new RegExp(value);
  } catch (err) {
    throw new ConfigError(key, value, 'a valid regular expression', { cause: err });
  }
  return value;
}

/** One `load_models` entry: `[name=]url`. */
export interface LoadModelEntry {
  readonly name: string | undefined;
  readonly url: string;
}

/**
 * `load_models`: `all` (any case) or a comma list of `[name=]url`; the first `=` splits name
 * from URL. Entries with an empty URL are skipped, as TorchServe skips them.
 */
export function parseLoadModels(value: string): 'all' | readonly LoadModelEntry[] {
  if (value.trim().toLowerCase() === 'all') return 'all';
  const out: LoadModelEntry[] = [];
  for (const entry of parseListValue(value)) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? undefined : entry.slice(0, eq).trim();
    const url = (eq < 0 ? entry : entry.slice(eq + 1)).trim();
    if (url === '') continue;
    out.push(Object.freeze({ name: name === '' ? undefined : name, url }));
  }
  return Object.freeze(out);
}
