/**
 * `GRPCInferenceService` of the Open Inference Protocol (KServe v2), served on the gRPC
 * inference port under both package names (`inference.` for KServe clients,
 * `org.pytorch.serve.grpc.openinference.` for clients of TorchServe's copy).
 *
 * - ServerLive: true while the server runs. ServerReady: the InferenceApi's health (every
 *   model that should have workers has them; TorchServe always answers true).
 * - ModelReady: ModelStatus.ready (NOT_FOUND for an unknown model/version).
 * - ServerMetadata: `{name: "nserve", version: <package version>, extensions: []}`
 *   (TorchServe declares the rpc but answers UNIMPLEMENTED; KServe answers name "kserve").
 * - ModelMetadata: versions and the signature the handler reported (TorchServe sends empty
 *   inputs/outputs); platform "".
 * - ModelInfer: kserve-v2-codec.ts; the request goes to the handler as KServe-v2 JSON. A result
 *   with an HTTP error status set by the handler becomes an error status (not tensors).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { InvalidInputError, PredictionError } from '../../errors/index.js';
import type { InferenceApi } from '../../inference/inference-api.js';
import { cancelSignal, collectBody, unary } from './call-utils.js';
import { decodeModelInferResult, encodeModelInferRequest, encodeModelMetadata, handlerErrorMessage } from './kserve-v2-codec.js';
import type { ModelInferRequestMsg, ModelInferResponseMsg, ModelNameVersionMsg } from './messages.js';

export interface KserveV2ServiceOptions {
  inference: InferenceApi;
  serverName: string;
  serverVersion: string;
  newId: () => string;
}

function nameVersion(msg: ModelNameVersionMsg): [string, string | undefined] {
  if (msg.name === '') throw new InvalidInputError('Parameter name is required.');
  return [msg.name, msg.version === '' ? undefined : msg.version];
}

export function createKserveV2Service(options: KserveV2ServiceOptions): UntypedServiceImplementation {
  const { inference, serverName, serverVersion, newId } = options;

  const ModelInfer = unary<ModelInferRequestMsg, ModelInferResponseMsg>(async (msg, call) => {
    const signal = cancelSignal(call);
    const { body, raw, requestedOutputs } = encodeModelInferRequest(msg);
    const version = msg.model_version === '' ? undefined : msg.model_version;
    const request = {
      requestId: newId(),
      headers: {},
      parameters: [{ name: 'body', contentType: 'application/json', value: Buffer.from(body, 'utf8') }],
    };
    const result = await inference.predict(msg.model_name, version, request, { signal });
    const output = await collectBody(result);
    if (result.status >= 400) throw new PredictionError(handlerErrorMessage(output), { status: result.status });
    const status = await inference.modelStatus(msg.model_name, version);
    const context = { modelName: msg.model_name, modelVersion: status.version, id: msg.id, requestedOutputs, raw };
    return decodeModelInferResult(output, status.signature === undefined ? context : { ...context, signature: status.signature });
  });

  return {
    ServerLive: unary(() => ({ live: true })),
    ServerReady: unary(async () => ({ ready: (await inference.health()).healthy })),
    ModelReady: unary(async (msg: ModelNameVersionMsg) => ({ ready: (await inference.modelStatus(...nameVersion(msg))).ready })),
    ServerMetadata: unary(() => ({ name: serverName, version: serverVersion, extensions: [] })),
    ModelMetadata: unary(async (msg: ModelNameVersionMsg) => encodeModelMetadata(await inference.modelStatus(...nameVersion(msg)))),
    ModelInfer,
  };
}
