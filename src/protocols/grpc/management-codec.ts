/**
 * Pure codecs of TorchServe's gRPC management service (`org.pytorch.serve.grpc.management`).
 *
 * proto3 has no "absent": as in TorchServe, integers <= 0 and empty strings mean "not given"
 * (the server default applies), and `synchronous` defaults to false. `ManagementResponse.msg`
 * carries what TorchServe puts there: the describe / list JSON (2-space pretty JSON, no
 * trailing newline, i.e. the REST body without its final `\n`), or the bare status text of
 * register / scale / set-default / unregister (the REST body's `status` value, not the JSON).
 */
import { BadRequestError } from '../../errors/index.js';
import type { ModelDescription, ModelListPage, RegisterParams, ScaleParams } from '../../management/management-api.js';
import type {
  DescribeModelRequestMsg,
  ListModelsRequestMsg,
  RegisterModelRequestMsg,
  ScaleWorkerRequestMsg,
  UnregisterModelRequestMsg,
} from './messages.js';

/** Page size when `limit` is 0 or less (TorchServe returns an empty page for 0: see report). */
export const DEFAULT_LIST_LIMIT = 100;

const given = (n: number): number | undefined => (n > 0 ? n : undefined);
const text = (s: string): string | undefined => (s === '' ? undefined : s);

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function encodeDescribe(descriptions: ModelDescription[]): string {
  return prettyJson(descriptions);
}

/** TorchServe's field order: `nextPageToken` (only when there is a next page), then `models`. */
export function encodeList(page: ModelListPage): string {
  const models = page.models.map((m) => ({ modelName: m.modelName, modelUrl: m.modelUrl }));
  return prettyJson(page.nextPageToken === undefined ? { models } : { nextPageToken: page.nextPageToken, models });
}

export function decodeDescribe(msg: DescribeModelRequestMsg): { model: string; version: string | undefined; customized: boolean } {
  return { model: msg.model_name, version: text(msg.model_version), customized: msg.customized };
}

export function decodeList(msg: ListModelsRequestMsg): { limit: number; nextPageToken: number } {
  return { limit: given(msg.limit) ?? DEFAULT_LIST_LIMIT, nextPageToken: Math.max(0, msg.next_page_token) };
}

export function decodeRegister(msg: RegisterModelRequestMsg): RegisterParams {
  if (msg.url === '') throw new BadRequestError('Parameter url is required.');
  const params: RegisterParams = { url: msg.url, synchronous: msg.synchronous };
  const optional: Partial<RegisterParams> = {
    modelName: text(msg.model_name),
    handler: text(msg.handler),
    runtime: text(msg.runtime),
    batchSize: given(msg.batch_size),
    maxBatchDelay: given(msg.max_batch_delay),
    initialWorkers: given(msg.initial_workers),
    responseTimeout: given(msg.response_timeout),
    startupTimeout: given(msg.startup_timeout),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (params as unknown as Record<string, unknown>)[key] = value;
  }
  return params;
}

/** TorchServe: `min_worker` <= 0 means 1, `max_worker` <= 0 means `min_worker`. */
export function decodeScale(msg: ScaleWorkerRequestMsg): { model: string; version: string | undefined; params: ScaleParams } {
  const minWorker = given(msg.min_worker) ?? 1;
  const maxWorker = given(msg.max_worker) ?? minWorker;
  return { model: msg.model_name, version: text(msg.model_version), params: { minWorker, maxWorker, synchronous: msg.synchronous } };
}

export function decodeUnregister(msg: UnregisterModelRequestMsg): { model: string; version: string | undefined } {
  if (msg.model_name === '') throw new BadRequestError('Parameter model_name is required.');
  return { model: msg.model_name, version: text(msg.model_version) };
}
