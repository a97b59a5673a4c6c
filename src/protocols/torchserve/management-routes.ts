/**
 * TorchServe management routes (spec §2): list, register, describe, scale, unregister,
 * set-default, per-model OpenAPI, and KServe v1 readiness `GET /v1/models/{m}`. Each route
 * decodes, calls ONE `ManagementApi` method and encodes. Register and unregister answer 405
 * unless the model API is enabled (`enable_model_api` / `--enable-model-api`).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MethodNotAllowedError } from '../../errors/index.js';
import type { RemoteManagementApi, StatusReply } from '../../management/management-api.js';
import { METHODS_EXCEPT_OPTIONS, type RoutePlugin } from '../http/http-app.js';
import { rawBody } from '../http/raw-body.js';
import { sendJson } from '../http/json-reply.js';
import { decodeListParams, decodeRegisterParams, decodeScaleParams, listBody, parseJavaBoolean, queryParamSource, registerParamSource, statusBody } from './management-codec.js';
import { modelManagementOpenApi } from './openapi.js';

export interface ManagementRoutesOptions {
  management: RemoteManagementApi;
  enableModelApi: boolean;
  /**
   * Serve TorchServe's KServe v1 readiness `GET /v1/models/{m}` (default true). main.ts turns it
   * off on a combined inference+management listener, where the KServe v1 routes answer it.
   */
  kserveReadiness?: boolean;
}

type Params = { model: string; version?: string };
type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

const json = sendJson;
const sendStatus = (reply: FastifyReply, r: StatusReply): FastifyReply => json(reply, r.httpStatus, statusBody(r));

export function torchServeManagementRoutes(options: ManagementRoutesOptions): RoutePlugin {
  const { management, enableModelApi } = options;
  const requireModelApi = (): void => {
    if (!enableModelApi) throw new MethodNotAllowedError();
  };

  /** Registers `handlers` on `url`; every other method answers 405. */
  const routeTable = (app: FastifyInstance, url: string, handlers: Partial<Record<string, Handler>>): void => {
    for (const method of [...METHODS_EXCEPT_OPTIONS, 'OPTIONS']) {
      const handler = handlers[method] ?? (async () => { throw new MethodNotAllowedError(); });
      app.route({ method, url, handler });
    }
  };

  const describe: Handler = async (request, reply) => {
    const { model, version } = request.params as Params;
    const customized = parseJavaBoolean(queryParamSource(request.url)('customized'), false);
    return json(reply, 200, await management.describe(model, version, customized));
  };
  const scale: Handler = async (request, reply) => {
    const { model, version: pathVersion } = request.params as Params;
    const { version, params } = decodeScaleParams(queryParamSource(request.url), pathVersion);
    return sendStatus(reply, await management.scale(model, version, params));
  };
  const unregister: Handler = async (request, reply) => {
    requireModelApi();
    const { model, version } = request.params as Params;
    return sendStatus(reply, await management.unregister(model, version));
  };
  const modelApi: Handler = async (request, reply) => {
    const { model, version } = request.params as Params;
    await management.describe(model, version, false); // 404 when unknown
    return json(reply, 200, modelManagementOpenApi(model));
  };

  return (app: FastifyInstance) => {
    routeTable(app, '/models', {
      GET: async (request, reply) => {
        const { limit, nextPageToken } = decodeListParams(queryParamSource(request.url));
        return json(reply, 200, listBody(await management.list(limit, nextPageToken)));
      },
      POST: async (request, reply) => {
        requireModelApi();
        const src = registerParamSource(request.url, request.headers['content-type'], rawBody(request));
        return sendStatus(reply, await management.register(decodeRegisterParams(src)));
      },
    });
    const perModel = { GET: describe, PUT: scale, DELETE: unregister, OPTIONS: modelApi };
    routeTable(app, '/models/:model', perModel);
    routeTable(app, '/models/:model/:version', perModel);
    routeTable(app, '/models/:model/:version/set-default', {
      PUT: async (request, reply) => {
        const { model, version } = request.params as Params;
        return sendStatus(reply, await management.setDefault(model, version!));
      },
    });
    if (options.kserveReadiness === false) return;
    routeTable(app, '/v1/models/:model', {
      GET: async (request, reply) => {
        const { model } = request.params as Params;
        const [description] = await management.describe(model, undefined, false);
        return json(reply, 200, { name: model, ready: (description?.workers.length ?? 0) > 0 });
      },
    });
  };
}
