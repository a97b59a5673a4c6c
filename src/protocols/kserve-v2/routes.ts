/**
 * KServe v2 / Open Inference Protocol REST routes:
 *
 *   GET  /v2/health/live                         {"live": true}
 *   GET  /v2/health/ready                        {"ready": true} | 503
 *   GET  /v2                                     server metadata
 *   GET  /v2/models                              {"models": [...]} (KServe extension)
 *   GET  /v2/models/{m}[/versions/{v}]           model metadata (from the worker's signature)
 *   GET  /v2/models/{m}[/versions/{v}]/ready     {"name", "ready": true} | 503
 *   POST /v2/models/{m}[/versions/{v}]/infer     inference (JSON or binary data extension)
 *   POST /v2/models/{m}[/versions/{v}]/explain   same, on the handler's explain path
 *
 * Unlike KServe's Python server (501 on `/versions/`), versioned paths are served: nserve
 * models have versions. Errors are `{"error": "<message>"}` with the status of the one HTTP
 * table. Each route decodes, makes one `InferenceApi` call, encodes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceUnavailableError } from '../../errors/index.js';
import type { InferenceApi } from '../../inference/inference-api.js';
import { bodyOf, clientSignal, kserveScope, mimeOf, requestHeaders, requestIdOf, sendJson } from '../shared/http-glue.js';
import { readResult } from '../shared/result-body.js';
import { HEADER_LENGTH_HEADER, splitBody } from '../shared/v2-binary.js';
import { encodeV2Response, handlerBody, outputsFromResult, parseV2Request } from '../shared/v2-codec.js';
import { modelMetadata, serverMetadata, serverReady, type ServerInfo } from './codec.js';

export interface KserveV2RoutesOptions {
  inference: InferenceApi;
  /** `GET /v2` name and version; default `nserve` / `0.0.0`. */
  server?: ServerInfo;
}

type ModelParams = { model: string; version?: string };

async function infer(inference: InferenceApi, request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply, explain: boolean) {
  const { model, version } = request.params;
  const header = request.headers[HEADER_LENGTH_HEADER];
  const v2 = parseV2Request(splitBody(bodyOf(request), Array.isArray(header) ? header[0] : header, mimeOf(request)));
  const requestId = requestIdOf(request);
  const result = await inference.predict(
    model,
    version,
    { requestId, headers: requestHeaders(request, explain), parameters: [{ name: 'body', contentType: 'application/json', value: handlerBody(v2) }] },
    { signal: clientSignal(reply), explain },
  );
  const decoded = await readResult(result);
  const status = await inference.modelStatus(model, version);
  const encoded = encodeV2Response(
    { modelName: model, modelVersion: status.version === '' ? null : status.version, id: v2.id ?? requestId },
    outputsFromResult(decoded, status.signature),
    v2,
  );
  if (encoded.headerLength !== undefined) reply.header(HEADER_LENGTH_HEADER, String(encoded.headerLength));
  return reply.type(encoded.contentType).send(encoded.body);
}

export function kserveV2Routes(options: KserveV2RoutesOptions): (app: FastifyInstance) => void {
  const { inference } = options;
  const info = options.server ?? { name: 'nserve', version: '0.0.0' };
  return (app) =>
    kserveScope(app, (scope) => {
      scope.get('/v2/health/live', async (_req, reply) => sendJson(reply, { live: true }));
      scope.get('/v2/health/ready', async (_req, reply) => {
        if (!(await serverReady(inference))) throw new ServiceUnavailableError('Server is not ready.');
        return sendJson(reply, { ready: true });
      });
      scope.get('/v2', async (_req, reply) => sendJson(reply, serverMetadata(info)));
      scope.get('/v2/models', async (_req, reply) => sendJson(reply, { models: await inference.modelNames() }));

      for (const prefix of ['/v2/models/:model', '/v2/models/:model/versions/:version']) {
        scope.get<{ Params: ModelParams }>(prefix, async (req, reply) =>
          sendJson(reply, modelMetadata(await inference.modelStatus(req.params.model, req.params.version))),
        );
        scope.get<{ Params: ModelParams }>(`${prefix}/ready`, async (req, reply) => {
          const status = await inference.modelStatus(req.params.model, req.params.version);
          if (!status.ready) throw new ServiceUnavailableError(`Model with name ${status.name} is not ready.`);
          return sendJson(reply, { name: status.name, ready: true });
        });
        scope.post<{ Params: ModelParams }>(`${prefix}/infer`, (req, reply) => infer(inference, req, reply, false));
        scope.post<{ Params: ModelParams }>(`${prefix}/explain`, (req, reply) => infer(inference, req, reply, true));
      }
    });
}
