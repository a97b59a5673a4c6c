/**
 * TorchServe management REST parameters (spec §2.2–2.5), pure. Values come from the query
 * string, or — for register with `Content-Type: application/json` — from a JSON object body
 * with the same keys (the query string is then ignored; numbers and booleans are coerced as
 * Gson does). Coercions are Java's: `Integer.parseInt` (anything else counts as "not given")
 * and `Boolean.parseBoolean` (only a case-insensitive `true` is true).
 */
import { BadRequestError } from '../../errors/index.js';
import type { ModelListPage, RegisterParams, ScaleParams, StatusReply } from '../../management/management-api.js';
import { bodyContentType } from './codec.js';

/** First value of a parameter, or undefined. */
export type ParamSource = (name: string) => string | undefined;

export function queryParamSource(url: string): ParamSource {
  const q = url.indexOf('?');
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  return (name) => params.get(name) ?? undefined;
}

/** JSON body when the request says `application/json`, else the query string. */
export function registerParamSource(url: string, contentType: string | undefined, body: Uint8Array): ParamSource {
  if (bodyContentType(contentType).trim().toLowerCase() !== 'application/json') return queryParamSource(url);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    throw new BadRequestError(`Invalid JSON body: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new BadRequestError('Invalid JSON body: expected an object');
  const record = parsed as Record<string, unknown>;
  return (name) => {
    const v = record[name];
    return v === undefined || v === null ? undefined : typeof v === 'object' ? JSON.stringify(v) : String(v);
  };
}

/** Java `Integer.parseInt`, or undefined when it would throw. */
export function parseJavaInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^[+-]?\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= -2147483648 && n <= 2147483647 ? n : undefined;
}

/** Java `Boolean.parseBoolean`, with `fallback` when absent. */
export function parseJavaBoolean(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : value.toLowerCase() === 'true';
}

export function decodeRegisterParams(src: ParamSource): RegisterParams {
  const url = src('url');
  if (url === undefined) throw new BadRequestError('Parameter url is required.');
  const params: RegisterParams = { url, synchronous: parseJavaBoolean(src('synchronous'), true) };
  const strings = { modelName: 'model_name', handler: 'handler', runtime: 'runtime' } as const;
  for (const [field, key] of Object.entries(strings) as [keyof typeof strings, string][]) {
    const v = src(key);
    if (v !== undefined && v !== '') params[field] = v;
  }
  const ints = {
    batchSize: 'batch_size',
    maxBatchDelay: 'max_batch_delay',
    initialWorkers: 'initial_workers',
    responseTimeout: 'response_timeout',
    startupTimeout: 'startup_timeout',
  } as const;
  for (const [field, key] of Object.entries(ints) as [keyof typeof ints, string][]) {
    const v = parseJavaInt(src(key));
    if (v !== undefined) params[field] = v;
  }
  return params;
}

/** `PUT /models/{m}[/{v}]`: min_worker (default 1), max_worker (default min), synchronous (default false). */
export function decodeScaleParams(src: ParamSource, pathVersion: string | undefined): { version: string | undefined; params: ScaleParams } {
  const minWorker = parseJavaInt(src('min_worker')) ?? 1;
  const maxWorker = parseJavaInt(src('max_worker')) ?? minWorker;
  const version = pathVersion ?? src('model_version');
  return { version, params: { minWorker, maxWorker, synchronous: parseJavaBoolean(src('synchronous'), false) } };
}

/** `GET /models`: limit 1..100 (out of range or malformed: 100), next_page_token >= 0. */
export function decodeListParams(src: ParamSource): { limit: number; nextPageToken: number } {
  const rawLimit = parseJavaInt(src('limit'));
  const limit = rawLimit === undefined || rawLimit < 0 || rawLimit > 100 ? 100 : rawLimit;
  const rawToken = parseJavaInt(src('next_page_token'));
  return { limit, nextPageToken: rawToken === undefined || rawToken < 0 ? 0 : rawToken };
}

/** `{"status": "..."}`. */
export function statusBody(reply: StatusReply): { status: string } {
  return { status: reply.status };
}

/** List body with TorchServe's field order (`nextPageToken` first, omitted when absent). */
export function listBody(page: ModelListPage): ModelListPage {
  const body: ModelListPage = { models: [] };
  const ordered = page.nextPageToken === undefined ? body : { nextPageToken: page.nextPageToken, models: [] };
  ordered.models = page.models.map((m) => ({ modelName: m.modelName, modelUrl: m.modelUrl }));
  return ordered;
}
