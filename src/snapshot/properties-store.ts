/**
 * The writing half of the Java `.properties` format, as `java.util.Properties.store(OutputStream,
 * comments)` writes it (pure), so TorchServe and nserve's `parseProperties` read it back:
 *
 * - `#<comment>` line, then `#<Date.toString()>` (`Tue Mar 05 14:03:22 UTC 2024`);
 * - one `key=value` line per property, `\n` line ends;
 * - escapes: `\\`, `\t \n \r \f`, and `\` before `= : # !`; a space is escaped everywhere in a
 *   key and only in first position in a value; every UTF-16 unit outside 0x20-0x7E is
 *   `\uXXXX` (upper-case hex), so the file is plain ASCII (and valid ISO-8859-1).
 */

const SIMPLE: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\\': '\\\\' };
const SPECIAL = new Set(['=', ':', '#', '!']);

/** Escapes one key (`escapeSpace`: every space) or value (only a leading space). */
export function escapeProperty(text: string, escapeSpace: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const code = c.charCodeAt(0);
    if (c === ' ') out += i === 0 || escapeSpace ? '\\ ' : ' ';
    else if (SIMPLE[c] !== undefined) out += SIMPLE[c];
    else if (SPECIAL.has(c)) out += `\\${c}`;
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += c;
  }
  return out;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Java's `Date.toString()` in the local time zone: `EEE MMM dd HH:mm:ss zzz yyyy`. */
export function javaDateString(d: Date): string {
  const zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
  return (
    `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone} ${d.getFullYear()}`
  );
}

export interface StoreOptions {
  /** Written as `#<comment>` (ASCII expected; other characters are `\uXXXX`-escaped). */
  comment: string;
  /** Written as the `#<date>` line. */
  date: Date;
}

/** The whole file text, in the map's order. */
export function storeProperties(properties: Iterable<readonly [string, string]>, options: StoreOptions): string {
  const lines = [`#${escapeComment(options.comment)}`, `#${javaDateString(options.date)}`];
  for (const [key, value] of properties) lines.push(`${escapeProperty(key, true)}=${escapeProperty(value, false)}`);
  return `${lines.join('\n')}\n`;
}

/** A comment stays one line: line breaks start a new `#` line; non-ASCII is `\uXXXX`. */
function escapeComment(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const code = c.charCodeAt(0);
    if (c === '\n' || c === '\r') out += '\n#';
    else if (code > 0x7e) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += c;
  }
  return out;
}
