/**
 * KServe v1 REST routes:
 *
 *   GET  /v1/models               {"models": [...]}
 *   GET  /v1/models/{m}           {"name": m, "ready": true} | 404 | 503 (not ready)
 *   POST /v1/models/{m}:predict   {"instances": [...]} -> {"predictions": [...]}
 *   POST /v1/models/{m}:explain   {"instances": [...]} -> {"explanations": [...]}
 *
 * Every instance is its own `predict` call, all issued at once, so the model's batcher batches
 * them (see `shared/instances.ts`); the reply has one prediction per instance. A body whose
 * content type is not JSON is passed to the model unchanged as one request and the handler's
 * reply is returned as is (KServe passes non-JSON bodies through raw).
 * Errors: `{"error": "<message>"}`, status from the one HTTP table.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceUnavailableError } from '../../errors/index.js';
import type { InferenceApi } from '../../inference/inference-api.js';
import { bodyOf, clientSignal, kserveScope, mimeOf, requestHeaders, requestIdOf, sendJson } from '../shared/http-glue.js';
import { parseInstances, predictInstances } from '../shared/instances.js';
import { collectBody } from '../shared/result-body.js';
import { encodePredictions, parseTarget } from './codec.js';

export interface KserveV1RoutesOptions {
  inference: InferenceApi;
}

function isJson(mime: string): boolean {
  return mime === '' || mime.includes('json');
}

async function passThrough(inference: InferenceApi, model: string, explain: boolean, request: FastifyRequest, reply: FastifyReply) {
  const result = await inference.predict(
    model,
    undefined,
    {
      requestId: requestIdOf(request),
      headers: requestHeaders(request, explain),
      parameters: [{ name: 'body', contentType: (request.headers['content-type'] ?? '').split(';')[0]!, value: bodyOf(request) }],
    },
    { signal: clientSignal(reply), explain },
  );
  const body = await collectBody(result);
  for (const [name, value] of Object.entries(result.headers)) reply.header(name, value);
  if (result.contentType !== undefined) reply.type(result.contentType);
  return reply.code(result.status).send(body);
}

export function kserveV1Routes(options: KserveV1RoutesOptions): (app: FastifyInstance) => void {
  const { inference } = options;
  return (app) =>
    kserveScope(app, (scope) => {
      scope.get('/v1/models', async (_req, reply) => sendJson(reply, { models: await inference.modelNames() }));
      scope.get<{ Params: { model: string } }>('/v1/models/:model', async (req, reply) => {
        const status = await inference.modelStatus(req.params.model);
        if (!status.ready) throw new ServiceUnavailableError(`Model with name ${status.name} is not ready.`);
        return sendJson(reply, { name: status.name, ready: true });
      });
      scope.post<{ Params: { target: string } }>('/v1/models/:target', async (req, reply) => {
        const { model, verb } = parseTarget(req.params.target);
        const explain = verb === 'explain';
        if (!isJson(mimeOf(req))) return passThrough(inference, model, explain, req, reply);
        const predictions = await predictInstances(
          {
            inference,
            model,
            version: undefined,
            requestId: requestIdOf(req),
            headers: requestHeaders(req, explain),
            explain,
            signal: clientSignal(reply),
          },
          parseInstances(bodyOf(req)),
        );
        return reply.type('application/json').send(encodePredictions(verb, predictions));
      });
    });
}
