/**
 * The Java `.properties` grammar, as `java.util.Properties.load(InputStream)` reads
 * TorchServe's `config.properties` (pure; no I/O).
 *
 * - The file is ISO-8859-1 bytes (`decodeLatin1`); other characters are written `\uXXXX`.
 * - Natural lines end at `\n`, `\r` or `\r\n`. Leading blanks (space, tab, form feed) are skipped.
 * - A line whose first non-blank character is `#` or `!` is a comment (even if it ends with `\`).
 *   Only the start of a logical line can be a comment: `#` on a continuation line is data.
 * - A line ending in an odd number of `\` continues on the next natural line; the continuation's
 *   leading blanks are dropped (this is how multi-line `models={\ ... }` JSON is written).
 *   An empty continuation line ends the logical line.
 * - The key ends at the first unescaped `=`, `:` or blank. Blanks around the separator are
 *   skipped, and one `=`/`:` after blanks is still the separator (`key  = v`).
 * - Escapes (key and value): `\t \n \r \f`, `\uXXXX`, and `\` before anything else yields that
 *   character (`\:` `\=` `\#` `\\`). Trailing blanks of a value are kept.
 * - The last occurrence of a duplicate key wins.
 */
import { ConfigError } from '../errors/errors.js';

const BLANK = new Set([' ', '\t', '\f']);

/** Bytes of a `.properties` file as Java reads them: one byte, one character (ISO-8859-1). */
export function decodeLatin1(buf: Buffer | Uint8Array): string {
  return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('latin1');
}

/** Parses `.properties` text into a key → value map (insertion order = first appearance). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of logicalLines(text)) {
    const [rawKey, rawValue] = splitKeyValue(line);
    const key = unescape(rawKey, rawKey);
    out.set(key, unescape(rawValue, key));
  }
  return out;
}

/** Joins continued natural lines; drops blank and comment lines. Escapes are left in place. */
function* logicalLines(text: string): Generator<string> {
  const natural = text.split(/\r\n|\r|\n/);
  let i = 0;
  while (i < natural.length) {
    let line = skipBlanks(natural[i++] ?? '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    let logical = '';
    for (;;) {
      if (!endsWithOddBackslashes(line)) {
        logical += line;
        break;
      }
      logical += line.slice(0, -1);
      if (i >= natural.length) break; // a trailing `\` at end of input is dropped
      line = skipBlanks(natural[i++] ?? '');
      if (line === '') break; // an empty continuation ends the logical line
    }
    yield logical;
  }
}

function skipBlanks(s: string): string {
  let j = 0;
  while (j < s.length && BLANK.has(s[j] as string)) j++;
  return s.slice(j);
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let j = s.length - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

/** Splits a logical line at the first unescaped separator; returns still-escaped key and value. */
function splitKeyValue(line: string): [string, string] {
  let keyEnd = line.length;
  let valueStart = line.length;
  let hasSeparator = false;
  let escaped = false;
  for (let j = 0; j < line.length; j++) {
    const c = line[j] as string;
    if (escaped) {
      escaped = false;
      continue;
    }
    if (c === '\\') {
      escaped = true;
    } else if (c === '=' || c === ':') {
      keyEnd = j;
      valueStart = j + 1;
      hasSeparator = true;
      break;
    } else if (BLANK.has(c)) {
      keyEnd = j;
      valueStart = j + 1;
      break;
    }
  }
  while (valueStart < line.length) {
    const c = line[valueStart] as string;
    if (BLANK.has(c)) {
      valueStart++;
    } else if (!hasSeparator && (c === '=' || c === ':')) {
      hasSeparator = true;
      valueStart++;
    } else {
      break;
    }
  }
  return [line.slice(0, keyEnd), line.slice(valueStart)];
}

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

/** Resolves escapes. `key` names the property in the error for a malformed `\uXXXX`. */
function unescape(s: string, key: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let j = 0; j < s.length; j++) {
    const c = s[j] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = s[++j];
    if (next === undefined) break; // cannot happen after line joining; dropped as Java does
    if (next === 'u') {
      const hex = s.slice(j + 1, j + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
        throw new ConfigError(key, `\\u${hex}`, 'a \\uXXXX escape with four hex digits');
      }
      out += String.fromCharCode(parseInt(hex, 16));
      j += 4;
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
    }
  }
  return out;
}
