/**
 * Pure codecs of TorchServe's gRPC inference service (`org.pytorch.serve.grpc.inference`).
 *
 * Request mapping (`PredictionsRequest` -> `InferenceRequest`):
 * - every `input` entry becomes one parameter named after its key, in message order, with
 *   content type `''` (TorchServe: no content type, so handlers see raw bytes);
 * - except the body entries `data` and `body`: when their first non-blank byte is `{` or `[`
 *   they get content type `application/json`, so a handler that accepts JSON over REST
 *   (`curl -H 'Content-Type: application/json'`) accepts the same bytes over gRPC (the onnx
 *   handler's KServe-v2 / named-input JSON, the KServe wrapper's `{"data": <v2 JSON>}`). Bytes
 *   that then fail to parse reach the handler as raw bytes (the handler decoding rule), so the
 *   check needs no full parse on the main thread;
 * - headers: none, like TorchServe (StreamPredictions2 adds the sequence headers).
 */
import { BadRequestError } from '../../errors/index.js';
import type { InferenceRequest, RequestParameter } from '../../inference/types.js';
import type { PredictionResponseMsg, PredictionsRequestMsg, TorchServeHealthResponseMsg } from './messages.js';
import type { GrpcError } from './status-mapping.js';

export const BODY_INPUT_NAMES: ReadonlySet<string> = new Set(['data', 'body']);

/** TorchServe's sequence headers (config keys `ts_header_key_sequence_*` defaults). */
export const SEQUENCE_HEADERS = {
  id: 'ts_request_sequence_id',
  start: 'ts_request_sequence_start',
  end: 'ts_request_sequence_end',
} as const;

export interface DecodedPrediction {
  model: string;
  version: string | undefined;
  request: InferenceRequest;
}

function firstNonBlank(value: Uint8Array): number | undefined {
  for (const byte of value) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return byte;
  }
  return undefined;
}

/** `application/json` for a body entry that looks like a JSON object or array, else `''`. */
export function inputContentType(name: string, value: Uint8Array): string {
  if (!BODY_INPUT_NAMES.has(name)) return '';
  const first = firstNonBlank(value);
  return first === 0x7b || first === 0x5b ? 'application/json' : '';
}

export function inputToParameters(input: Record<string, Uint8Array>): RequestParameter[] {
  return Object.entries(input).map(([name, value]) => ({ name, contentType: inputContentType(name, value), value }));
}

export function decodePredictionsRequest(msg: PredictionsRequestMsg, requestId: string): DecodedPrediction {
  if (msg.model_name === '') throw new BadRequestError('Parameter model_name is required.');
  return {
    model: msg.model_name,
    version: msg.model_version === '' ? undefined : msg.model_version,
    request: { requestId, headers: {}, parameters: inputToParameters(msg.input ?? {}) },
  };
}

function isTrue(value: Uint8Array | undefined): boolean {
  return value !== undefined && Buffer.from(value).toString('utf8').trim().toLowerCase() === 'true';
}

/**
 * The sequence of one StreamPredictions2 request. TorchServe's intent, without its bugs
 * (spec Audit row 11): an empty `sequence_id` is an error unless the request's input carries
 * `ts_request_sequence_start: "true"`, which opens a new sequence `ts-seq-<uuid>`; the
 * `ts_request_sequence_end` input entry is honoured (TorchServe ends every request's sequence).
 */
export function sequenceHeaders(msg: PredictionsRequestMsg, newId: () => string): Record<string, string> {
  const given = msg.sequence_id ?? '';
  const start = isTrue(msg.input?.[SEQUENCE_HEADERS.start]);
  if (given === '' && !start) throw new BadRequestError('Parameter sequenceId is required.');
  const headers: Record<string, string> = { [SEQUENCE_HEADERS.id]: given === '' ? `ts-seq-${newId()}` : given };
  if (start || given === '') headers[SEQUENCE_HEADERS.start] = 'true';
  if (isTrue(msg.input?.[SEQUENCE_HEADERS.end])) headers[SEQUENCE_HEADERS.end] = 'true';
  return headers;
}

/** `{\n  "status": "Healthy"\n}` (Gson pretty JSON, no trailing newline), always gRPC OK. */
export function encodeHealth(healthy: boolean): TorchServeHealthResponseMsg {
  return { health: JSON.stringify({ status: healthy ? 'Healthy' : 'Unhealthy' }, null, 2) };
}

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/** Protobuf encoding of `google.rpc.ErrorInfo { reason = 1 }`. */
export function encodeErrorInfo(reason: string): Buffer {
  const bytes = Buffer.from(reason, 'utf8');
  return Buffer.concat([Buffer.from([0x0a, ...varint(bytes.length)]), bytes]);
}

export const ERROR_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.ErrorInfo';

/** An in-band StreamPredictions2 error: `status` set, no prediction. */
export function encodeInBandError(error: GrpcError, sequenceId: string | undefined): PredictionResponseMsg {
  const msg: PredictionResponseMsg = {
    status: {
      code: error.code,
      message: error.message,
      details: [{ type_url: ERROR_INFO_TYPE_URL, value: encodeErrorInfo(error.reason) }],
    },
  };
  if (sequenceId !== undefined) msg.sequence_id = sequenceId;
  return msg;
}
