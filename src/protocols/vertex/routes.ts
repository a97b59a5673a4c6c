/**
 * Vertex AI custom-container routes, on the paths Vertex gives in `AIP_HEALTH_ROUTE` and
 * `AIP_PREDICT_ROUTE` (see `settings.ts`):
 *
 *   GET  <health route>    200 `{"status": "Healthy"}` when the served model is ready, else 503
 *   POST <predict route>   {"instances": [...], "parameters": {...}} -> {"predictions": [...]}
 *
 * The served model is `options.model`, or else the only registered model (Vertex deploys one
 * model per container); with none or several registered and no `model`, health answers 503
 * and predict 503 naming the choices. Instances run as separate concurrent requests (batched
 * by the model's batcher); `parameters` reach the handler as the request parameter named
 * `parameters`. Errors are `{"error": "<message>"}`.
 */
import type { FastifyInstance } from 'fastify';
import { ServiceUnavailableError } from '../../errors/index.js';
import type { InferenceApi } from '../../inference/inference-api.js';
import { bodyOf, clientSignal, kserveScope, requestHeaders, requestIdOf, sendJson } from '../shared/http-glue.js';
import { parseInstances, predictInstances } from '../shared/instances.js';
import type { VertexSettings } from './settings.js';

export interface VertexRoutesOptions {
  inference: InferenceApi;
  settings: Pick<VertexSettings, 'healthRoute' | 'predictRoute'>;
  /** The model to serve; default: the only registered model. */
  model?: string;
  /** Register the health route (default true); false when another route already serves that path. */
  health?: boolean;
}

/** find-my-way reads `:` as a parameter and `*` as a wildcard; Vertex routes are literal. */
function literalPath(path: string): string {
  return path.replace(/:/g, '::');
}

export async function servedModel(inference: InferenceApi, model: string | undefined): Promise<string> {
  if (model !== undefined) return model;
  const names = await inference.modelNames();
  if (names.length === 1) return names[0]!;
  throw new ServiceUnavailableError(
    names.length === 0 ? 'No model is registered yet' : `Several models are registered (${names.join(', ')}); configure the one Vertex serves`,
  );
}

export function vertexRoutes(options: VertexRoutesOptions): (app: FastifyInstance) => void {
  const { inference, settings } = options;
  return (app) =>
    kserveScope(app, (scope) => {
      if (options.health !== false) {
        scope.get(literalPath(settings.healthRoute), async (_req, reply) => {
          const status = await inference.modelStatus(await servedModel(inference, options.model));
          if (!status.ready) throw new ServiceUnavailableError(`Model with name ${status.name} is not ready.`);
          return sendJson(reply, { status: 'Healthy' });
        });
      }
      scope.post(literalPath(settings.predictRoute), async (req, reply) => {
        const model = await servedModel(inference, options.model);
        const predictions = await predictInstances(
          { inference, model, version: undefined, requestId: requestIdOf(req), headers: requestHeaders(req, false), signal: clientSignal(reply) },
          parseInstances(bodyOf(req)),
        );
        return sendJson(reply, { predictions });
      });
    });
}
