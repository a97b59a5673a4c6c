/**
 * TorchServe inference routes (spec §1.1): `/ping`, `/predictions/{m}[/{v}[/rest...]]`,
 * `/explanations/...`, SageMaker-style `/invocations` and `/models/{m}/invoke`, and the legacy
 * `/{m}[/{v}]/predict`. Every prediction route accepts any HTTP method. Each route decodes,
 * calls ONE `InferenceApi` method and encodes.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BadRequestError } from '../../errors/index.js';
import type { InferenceApi } from '../../inference/inference-api.js';
import type { InferenceResult } from '../../inference/types.js';
import { connectionCancel } from '../http/abort-signal.js';
import { METHODS_EXCEPT_OPTIONS, type HttpLogger, type RoutePlugin } from '../http/http-app.js';
import { rawBody } from '../http/raw-body.js';
import { sendJson } from '../http/json-reply.js';
import { decodeInferenceRequest, encodeInferenceResult, injectedHeaders } from './codec.js';
import { modelInferenceOpenApi } from './openapi.js';
import { errorMessage } from '../../util/error-message.js';

export interface InferenceRoutesOptions {
  inference: InferenceApi;
  logger?: HttpLogger;
}

type Params = { model?: string; version?: string; '*'?: string };
const ANY = [...METHODS_EXCEPT_OPTIONS, 'OPTIONS'];

export function torchServeInferenceRoutes(options: InferenceRoutesOptions): RoutePlugin {
  const { inference, logger } = options;
  return (app: FastifyInstance) => {
    const send = (reply: FastifyReply, result: InferenceResult): FastifyReply | undefined => {
      const encoded = encodeInferenceResult(result);
      if (result.stream === undefined) {
        reply.sendBody(encoded);
        return undefined;
      }
      reply.code(encoded.status).headers(encoded.headers);
      // fastify adds no Content-Type to a stream: without a handler-chosen one there is none.
      if (encoded.contentType !== undefined) reply.header('content-type', encoded.contentType);
      return reply.send(Readable.from(logFailures(result.stream, logger)));
    };

    /**
     * Decode, predict, answer. Not `async`: the answer or the error goes out from the
     * prediction's own promise callbacks (one promise per request, no wrapper for fastify
     * to await); an error is handed to the listener's error handler via `reply.send`.
     */
    const run = (request: FastifyRequest, reply: FastifyReply, model: string, version: string | undefined, explain: boolean, forwardQuery: boolean): void => {
      const params = request.params as Params;
      const decoded = decodeInferenceRequest({
        requestId: request.id,
        rawHeaders: request.raw.rawHeaders,
        body: rawBody(request),
        injected: forwardQuery ? undefined : injectedHeaders(params['*'] ?? '', explain),
        query: forwardQuery ? queryPairs(request.url) : undefined,
      });
      inference.predict(model, version, decoded, { onCancel: connectionCancel(reply), explain }).then(
        (result) => {
          try {
            send(reply, result);
          } catch (err) {
            reply.send(err as Error);
          }
        },
        (err: unknown) => reply.send(err as Error),
      );
    };

    app.route({
      method: ANY,
      url: '/ping',
      config: { nservePublic: true },
      handler: async (_request, reply) => {
        const { healthy } = await inference.health();
        return sendJson(reply, healthy ? 200 : 500, { status: healthy ? 'Healthy' : 'Unhealthy' });
      },
    });

    for (const [prefix, explain] of [['predictions', false], ['explanations', true]] as const) {
      const predict = (request: FastifyRequest, reply: FastifyReply): void => {
        const { model, version } = request.params as Params;
        run(request, reply, model!, version, explain, false);
      };
      app.route({ method: [...METHODS_EXCEPT_OPTIONS], url: `/${prefix}/:model`, handler: predict });
      app.route({ method: ANY, url: `/${prefix}/:model/:version`, handler: predict });
      app.route({ method: ANY, url: `/${prefix}/:model/:version/*`, handler: predict });
      app.route({
        method: 'OPTIONS',
        url: `/${prefix}/:model`,
        handler: async (request, reply) => {
          const { model } = request.params as Params;
          await inference.modelStatus(model!); // 404 when unknown
          return sendJson(reply, 200, modelInferenceOpenApi(model!));
        },
      });
    }

    // SageMaker-style and legacy MMS routes forward the query string as parameters.
    app.route({
      method: ANY,
      url: '/invocations',
      handler: async (request, reply) => {
        run(request, reply, await invocationModel(request, inference), undefined, false, true);
        return reply;
      },
    });
    app.route({ method: ANY, url: '/models/:model/invoke', handler: (request, reply) => run(request, reply, (request.params as Params).model!, undefined, false, true) });
    app.route({ method: ANY, url: '/:model/predict', handler: (request, reply) => run(request, reply, (request.params as Params).model!, undefined, false, true) });
    app.route({
      method: ANY,
      url: '/:model/:version/predict',
      handler: (request, reply) => {
        const { model, version } = request.params as Params;
        run(request, reply, model!, version, false, true);
      },
    });
  };
}

/** `model_name` from the query or form body; else the only registered model. */
async function invocationModel(request: FastifyRequest, inference: InferenceApi): Promise<string> {
  const fromQuery = new URLSearchParams(request.url.split('?')[1] ?? '').get('model_name');
  if (fromQuery !== null && fromQuery !== '') return fromQuery;
  const decoded = decodeInferenceRequest({ requestId: request.id, rawHeaders: request.raw.rawHeaders, body: rawBody(request) });
  const field = decoded.parameters.find((p) => p.name === 'model_name' && p.contentType === '');
  if (field !== undefined && field.value.length > 0) return Buffer.from(field.value).toString('utf8');
  const names = await inference.modelNames();
  if (names.length === 1) return names[0]!;
  throw new BadRequestError('Parameter model_name is required.');
}

function queryPairs(url: string): [string, string][] {
  const q = url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1))];
}

async function* logFailures(stream: AsyncIterable<Uint8Array>, logger: HttpLogger | undefined): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of stream) yield chunk;
  } catch (err) {
    // Status and headers are already on the wire: the response is cut short (no final chunk).
    logger?.error(`streamed response failed mid-stream: ${errorMessage(err)}`);
    throw err;
  }
}
