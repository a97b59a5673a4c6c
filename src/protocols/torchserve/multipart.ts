/**
 * `multipart/form-data` over an already aggregated body -> TorchServe parameters. Pure and
 * synchronous. Written against Netty's decoder behaviour that TorchServe handlers observe:
 * - one parameter per part, in order; repeated names give repeated parameters;
 * - a part WITH a filename is a file: its `Content-Type` (without parameters, case kept) or
 *   `application/octet-stream` when the part has none; value = the raw bytes;
 * - a part WITHOUT a filename is an attribute: content type `''`, value = its bytes.
 */
import { BadRequestError } from '../../errors/index.js';
import type { RequestParameter } from '../../inference/types.js';

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The `boundary` parameter of a multipart content type, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

export function parseMultipart(body: Buffer, boundary: string): RequestParameter[] {
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = body.indexOf(delimiter);
  if (pos < 0) throw invalid('boundary not found');
  const parameters: RequestParameter[] = [];
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return parameters; // closing `--boundary--`
    const lineEnd = body.indexOf(CRLF, pos);
    if (lineEnd < 0) throw invalid('truncated part');
    const headerEnd = body.indexOf(HEADER_END, lineEnd);
    if (headerEnd < 0) throw invalid('part headers not terminated');
    const headers = parseHeaders(body.subarray(lineEnd + 2, headerEnd).toString('latin1'));
    const contentStart = headerEnd + 4;
    const next = body.indexOf(Buffer.concat([CRLF, delimiter]), contentStart);
    if (next < 0) throw invalid('closing boundary not found');
    const value = new Uint8Array(body.subarray(contentStart, next));
    parameters.push(toParameter(headers, value));
    pos = next + 2;
  }
}

function toParameter(headers: Map<string, string>, value: Uint8Array): RequestParameter {
  const disposition = headers.get('content-disposition');
  if (disposition === undefined) throw invalid('part without Content-Disposition');
  const params = dispositionParams(disposition);
  const name = params.get('name') ?? '';
  const isFile = params.has('filename') || params.has('filename*');
  if (!isFile) return { name, contentType: '', value };
  const partType = headers.get('content-type');
  const contentType = partType === undefined || partType.trim() === '' ? 'application/octet-stream' : partType.split(';')[0]!.trim();
  return { name, contentType, value };
}

function parseHeaders(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/** `form-data; name="a"; filename="b.png"` -> {name: a, filename: b.png}. Quoted strings may hold `;`. */
function dispositionParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  const re = /;\s*([^=;\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const m of value.matchAll(re)) {
    const key = m[1]!.toLowerCase();
    const raw = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim();
    params.set(key, key.endsWith('*') ? decodeExtValue(raw) : Buffer.from(raw, 'latin1').toString('utf8'));
  }
  return params;
}

/** RFC 5987 `UTF-8''na%C3%AFve.txt`. */
function decodeExtValue(raw: string): string {
  const m = /^[^']*'[^']*'(.*)$/.exec(raw);
  try {
    return decodeURIComponent(m?.[1] ?? raw);
  } catch {
    return raw;
  }
}

function invalid(why: string): BadRequestError {
  return new BadRequestError(`Invalid multipart/form-data body: ${why}`);
}
