/**
 * TorchServe's service envelopes (`service_envelope` / `TS_SERVICE_ENVELOPE` = `kserve` or
 * `kservev2`) applied to `/predictions` and `/explanations`: KServe-shaped bodies in and out of
 * the TorchServe routes. Differences from TorchServe's Python envelopes, on purpose:
 *
 * - `kserve`: each instance is its own request through `predict` (all at once, batched by the
 *   model's batcher), so 4 instances give 4 predictions; TorchServe keeps only the first request
 *   of a batch (pytorch/serve#1302).
 * - `kservev2`: strict Open Inference Protocol replies (real output names and shapes, datatypes
 *   from the model signature), as the v2 REST route; TorchServe's envelope names output *i*
 *   after input *i* and flattens shapes.
 * - `json` (TF-Serving style): as `kserve`, but the reply is always `{"predictions": [...]}`
 *   and only whole-instance `{"b64": …}` values are decoded (TorchServe decodes nested ones too).
 * `body` means no envelope: the route calls `inference.predict` directly.
 */
import { BadRequestError, CancelledError } from '../../errors/index.js';
import type { InferenceApi } from '../../inference/inference-api.js';
import type { InferenceRequest, InferenceResult, PredictOptions, RequestParameter } from '../../inference/types.js';
import { instanceParameters, parseInstances, predictInstances, type InstancesBody } from './instances.js';
import { readResult, toJsonValue, type DecodedResult } from './result-body.js';
import { HEADER_LENGTH_HEADER, splitBody } from './v2-binary.js';
import { encodeV2Response, handlerBody, outputsFromResult, parseV2Request, type V2Request } from './v2-codec.js';
import type { ModelSignature } from '../../inference/types.js';

export type EnvelopeKind = 'kserve' | 'kservev2' | 'json';

export function isEnvelopeKind(value: unknown): value is EnvelopeKind {
  return value === 'kserve' || value === 'kservev2' || value === 'json';
}

export type DecodedEnvelope =
  | { kind: 'kserve' | 'json'; body: InstancesBody; requests: RequestParameter[][] }
  | { kind: 'kservev2'; v2: V2Request; requests: RequestParameter[][] };

/**
 * Pure: an envelope body -> the parameters of each request to run (one per instance for
 * `kserve` / `json`, exactly one for `kservev2`). `headerLength` is the binary extension's header.
 */
export function decodeEnvelope(kind: EnvelopeKind, body: Buffer, contentType: string, headerLength?: string): DecodedEnvelope {
  if (kind !== 'kservev2') {
    const parsed = parseInstances(body);
    return { kind, body: parsed, requests: parsed.instances.map((i) => instanceParameters(i, parsed.parameters)) };
  }
  const v2 = parseV2Request(splitBody(body, headerLength, contentType));
  return { kind, v2, requests: [[{ name: 'body', contentType: 'application/json', value: handlerBody(v2) }]] };
}

export interface EnvelopeContext {
  explain: boolean;
  modelName: string;
  modelVersion: string | null;
  /** Response id for `kservev2` when the request had none. */
  requestId: string;
  signature?: ModelSignature;
}

/** Pure: the decoded results (one per request of `decoded`) -> the reply. */
export function encodeEnvelope(decoded: DecodedEnvelope, results: DecodedResult[], ctx: EnvelopeContext): InferenceResult {
  if (decoded.kind !== 'kservev2') {
    const values = results.map(toJsonValue);
    const body = JSON.stringify(ctx.explain && decoded.kind === 'kserve' ? { explanations: values } : { predictions: values });
    return { status: 200, headers: {}, contentType: 'application/json', body: Buffer.from(body, 'utf8') };
  }
  const [first] = results;
  const enc = encodeV2Response(
    { modelName: ctx.modelName, modelVersion: ctx.modelVersion, id: decoded.v2.id ?? ctx.requestId },
    first === undefined ? [] : outputsFromResult(first, ctx.signature),
    decoded.v2,
  );
  const headers: Record<string, string> = {};
  if (enc.headerLength !== undefined) headers[HEADER_LENGTH_HEADER] = String(enc.headerLength);
  return { status: 200, headers, contentType: enc.contentType, body: enc.body };
}

/** `options.signal`, or one built from `options.onCancel`, for the fan-out (which needs a signal). */
function cancelSignal(options: PredictOptions): { signal?: AbortSignal } {
  if (options.signal !== undefined) return { signal: options.signal };
  if (options.onCancel === undefined) return {};
  const controller = new AbortController();
  options.onCancel(() => controller.abort(new CancelledError()));
  return { signal: controller.signal };
}

export type PredictFn = (model: string, version: string | undefined, request: InferenceRequest, options?: PredictOptions) => Promise<InferenceResult>;

/**
 * The `predict` the `/predictions` route calls instead of `inference.predict` when an envelope
 * is configured.
 */
export function createEnvelopePredict(inference: InferenceApi, kind: EnvelopeKind): PredictFn {
  return async (model, version, request, options = {}) => {
    const body = request.parameters.find((p) => p.name === 'body');
    if (body === undefined) throw new BadRequestError(`the ${kind} service envelope expects a JSON request body`);
    const value = Buffer.from(body.value.buffer, body.value.byteOffset, body.value.byteLength);
    // TorchServe routes keep header names as the client sent them.
    const lengthHeader = Object.entries(request.headers).find(([name]) => name.toLowerCase() === HEADER_LENGTH_HEADER)?.[1];
    const decoded = decodeEnvelope(kind, value, body.contentType.toLowerCase(), lengthHeader);
    const explain = options.explain === true;
    if (decoded.kind !== 'kservev2') {
      const values = await predictInstances(
        { inference, model, version, requestId: request.requestId, headers: request.headers, explain, ...cancelSignal(options) },
        decoded.body,
      );
      return encodeEnvelope(decoded, values.map((value) => ({ kind: 'json', value })), { explain, modelName: model, modelVersion: null, requestId: request.requestId });
    }
    const result = await inference.predict(model, version, { ...request, parameters: decoded.requests[0]! }, options);
    const read = await readResult(result);
    const status = await inference.modelStatus(model, version);
    return encodeEnvelope(decoded, [read], {
      explain,
      modelName: model,
      modelVersion: status.version === '' ? null : status.version,
      requestId: request.requestId,
      ...(status.signature ? { signature: status.signature } : {}),
    });
  };
}

/**
 * `service_envelope=kserve|kservev2|json` (KServe sets `TS_SERVICE_ENVELOPE`): the same facade,
 * with `predict` decoding the envelope and fanning instances out as separate requests, so the
 * model's batcher batches them (TorchServe's envelopes keep only the first instance). Used for
 * TorchServe's `/predictions` and `/explanations` routes; KServe's own routes already speak
 * their protocol.
 */
export function withEnvelope(inference: InferenceApi, kind: EnvelopeKind): InferenceApi {
  const predict = createEnvelopePredict(inference, kind);
  return {
    predict,
    health: () => inference.health(),
    modelStatus: (model, version) => inference.modelStatus(model, version),
    modelNames: () => inference.modelNames(),
  };
}
