/**
 * TorchServe REST codec (spec §1.3, §1.4). Pure functions: HTTP request parts ->
 * `InferenceRequest`, and `InferenceResult` -> what the reply carries. No fastify here.
 */
import type { InferenceRequest, InferenceResult, RequestParameter } from '../../inference/types.js';
import { multipartBoundary, parseMultipart } from './multipart.js';

export { restJson } from '../http/rest-json.js';

/** What the codec needs of an HTTP request. */
export interface HttpRequestParts {
  requestId: string;
  /** Node's `rawHeaders` ([name, value, name, value, ...]). */
  rawHeaders: readonly string[];
  body: Uint8Array;
  /** Query parameters in order; forwarded only by the SageMaker/legacy routes. */
  query?: readonly (readonly [string, string])[];
  /** Injected backend headers (`url_path`, `explain`). */
  injected?: Record<string, string>;
}

/**
 * All request headers, lower-cased names, a later duplicate overwriting an earlier one (as
 * TorchServe copies them), then the injected ones.
 */
export function requestHeaders(rawHeaders: readonly string[], injected?: Readonly<Record<string, string>>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) headers[rawHeaders[i]!.toLowerCase()] = rawHeaders[i + 1]!;
  if (injected !== undefined) for (const name in injected) headers[name] = injected[name]!;
  return headers;
}

/** The MIME type without parameters: text before the first `;`, not trimmed or lower-cased. */
export function bodyContentType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  const semi = contentType.indexOf(';');
  return semi < 0 ? contentType : contentType.slice(0, semi);
}

/** Body -> parameters: multipart parts, urlencoded fields, or one `body` parameter. */
export function bodyParameters(contentType: string | undefined, body: Uint8Array): RequestParameter[] {
  const mime = bodyContentType(contentType).trim().toLowerCase();
  if (mime === 'multipart/form-data' && contentType !== undefined) {
    const boundary = multipartBoundary(contentType);
    if (boundary !== undefined) return parseMultipart(Buffer.from(body.buffer, body.byteOffset, body.byteLength), boundary);
  }
  if (mime === 'application/x-www-form-urlencoded') return urlencodedParameters(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  return [{ name: 'body', contentType: bodyContentType(contentType), value: body }];
}

/** One parameter per field, URL-decoded, UTF-8 bytes, no content type. */
export function urlencodedParameters(text: string): RequestParameter[] {
  const out: RequestParameter[] = [];
  for (const [name, value] of new URLSearchParams(text)) out.push(textParameter(name, value));
  return out;
}

export function textParameter(name: string, value: string): RequestParameter {
  return { name, contentType: '', value: new Uint8Array(Buffer.from(value, 'utf8')) };
}

export function decodeInferenceRequest(parts: HttpRequestParts): InferenceRequest {
  const headers = requestHeaders(parts.rawHeaders, parts.injected);
  const body = bodyParameters(headers['content-type'], parts.body);
  const query = parts.query;
  return {
    requestId: parts.requestId,
    headers,
    parameters: query === undefined || query.length === 0 ? body : [...query.map(([k, v]) => textParameter(k, v)), ...body],
  };
}

/** Headers `url_path` / `explain` TorchServe injects for the prediction routes. */
export function injectedHeaders(urlPath: string, explain: boolean): Record<string, string> {
  return { url_path: urlPath, explain: explain ? 'True' : 'False' };
}

/** What a reply carries for a full (non-streamed) result. */
export interface EncodedResult {
  status: number;
  headers: Record<string, string>;
  /** Undefined = the response has no Content-Type (TorchServe's default for predictions). */
  contentType: string | undefined;
  body: Buffer;
}

export function encodeInferenceResult(result: InferenceResult): EncodedResult {
  const headers: Record<string, string> = {};
  let contentType = result.contentType;
  for (const [name, value] of Object.entries(result.headers)) {
    if (name.toLowerCase() === 'content-type') contentType ??= value;
    else headers[name] = value;
  }
  const body = result.body === undefined ? Buffer.alloc(0) : Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength);
  return { status: result.status, headers, contentType, body };
}
