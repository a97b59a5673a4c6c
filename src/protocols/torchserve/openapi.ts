/**
 * OpenAPI 3.0.1 documents for `OPTIONS /` and `/api-description` (per listener) and for
 * `OPTIONS /predictions/{m}` / `OPTIONS /models/{m}` (per model). They describe the routes
 * nserve really serves. Protocol helpers add their paths to `PATHS_BY_GROUP` below. Pure.
 */
import type { ApiGroup } from '../http/listeners.js';

type Json = Record<string, unknown>;

const modelName = { in: 'path', name: 'model_name', required: true, schema: { type: 'string' }, description: 'Name of the model.' };
const modelVersion = { in: 'path', name: 'model_version', required: true, schema: { type: 'string' }, description: 'Version of the model.' };
const q = (name: string, type: string, description: string) => ({ in: 'query', name, required: false, schema: { type }, description });

const statusBody = { content: { 'application/json': { schema: { type: 'object', properties: { status: { type: 'string' } } } } } };
const errorBody = {
  description: 'Error',
  content: {
    'application/json': {
      schema: { type: 'object', required: ['code', 'type', 'message'], properties: { code: { type: 'integer' }, type: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};
const rawOut = { description: 'Handler output, bytes exactly as the handler produced them (no Content-Type unless the handler set one).', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } };
const rawIn = { description: 'Raw body, multipart/form-data or urlencoded form.', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } };

function op(operationId: string, summary: string, parameters: unknown[] = [], ok: Json = { description: 'OK', ...statusBody }, body?: unknown): Json {
  const o: Json = { operationId, description: summary, parameters, responses: { '200': ok, '4XX': errorBody, '5XX': errorBody } };
  if (body !== undefined) o.requestBody = body;
  return o;
}

const predict = (id: string, params: unknown[]) => op(id, 'Run inference (any HTTP method).', params, rawOut, rawIn);
const scaleParams = [q('min_worker', 'integer', 'Minimum workers (default 1).'), q('max_worker', 'integer', 'Maximum workers (default min_worker).'), q('synchronous', 'boolean', 'Wait for the workers (default false).')];
const registerParams = [
  q('url', 'string', 'Archive in the model store, a directory, or an allowed http(s)/file URL.'),
  q('model_name', 'string', 'Overrides the manifest name.'),
  q('handler', 'string', 'Overrides the manifest handler.'),
  q('runtime', 'string', 'Overrides the manifest runtime.'),
  q('batch_size', 'integer', 'Inference batch size.'),
  q('max_batch_delay', 'integer', 'Batch aggregation delay, ms.'),
  q('initial_workers', 'integer', 'Workers to start.'),
  q('synchronous', 'boolean', 'Wait for the workers (default true).'),
  q('response_timeout', 'integer', 'Seconds.'),
  q('startup_timeout', 'integer', 'Seconds.'),
];

/** Paths served per API group. Other protocol adapters add their entries here. */
export const PATHS_BY_GROUP: Record<ApiGroup, Record<string, Json>> = {
  inference: {
    '/': { options: op('apiDescription', 'This OpenAPI document.', [], { description: 'OpenAPI 3.0.1 JSON' }) },
    '/ping': { get: op('ping', 'Health: 200 {"status": "Healthy"} or 500 {"status": "Unhealthy"}.') },
    '/predictions/{model_name}': { post: predict('predictions', [modelName]), options: op('predictionsApi', 'OpenAPI of this model.', [modelName], { description: 'OpenAPI 3.0.1 JSON' }) },
    '/predictions/{model_name}/{model_version}': { post: predict('versionPredictions', [modelName, modelVersion]) },
    '/explanations/{model_name}': { post: predict('explanations', [modelName]) },
    '/explanations/{model_name}/{model_version}': { post: predict('versionExplanations', [modelName, modelVersion]) },
    '/invocations': { post: predict('invocations', [q('model_name', 'string', 'Model (optional when exactly one model is registered).')]) },
    '/models/{model_name}/invoke': { post: predict('invokeModel', [modelName]) },
  },
  management: {
    '/': { options: op('apiDescription', 'This OpenAPI document.', [], { description: 'OpenAPI 3.0.1 JSON' }) },
    '/models': {
      get: op('listModels', 'List registered models.', [q('limit', 'integer', 'Page size (max 100).'), q('next_page_token', 'string', 'Start index.')], { description: 'OK' }),
      post: op('registerModel', 'Register a model (needs enable_model_api).', registerParams),
    },
    '/models/{model_name}': {
      get: op('describeModel', 'Describe the default version.', [modelName, q('customized', 'boolean', 'Include the handler metadata.')], { description: 'OK' }),
      put: op('setAutoScale', 'Scale workers.', [modelName, ...scaleParams]),
      delete: op('unregisterModel', 'Unregister the default version (needs enable_model_api).', [modelName]),
    },
    '/models/{model_name}/{model_version}': {
      get: op('versionDescribeModel', 'Describe a version (`all` for every version).', [modelName, modelVersion], { description: 'OK' }),
      put: op('versionSetAutoScale', 'Scale workers of a version.', [modelName, modelVersion, ...scaleParams]),
      delete: op('versionUnregisterModel', 'Unregister a version (needs enable_model_api).', [modelName, modelVersion]),
    },
    '/models/{model_name}/{model_version}/set-default': { put: op('setDefault', 'Make this version the default.', [modelName, modelVersion]) },
    '/v1/models/{model_name}': { get: op('kserveReady', 'KServe v1 readiness: {"name", "ready"}.', [modelName], { description: 'OK' }) },
  },
  metrics: {
    '/metrics': { get: op('metrics', 'Prometheus text format 0.0.4.', [q('name[]', 'string', 'Only these metric families.')], { description: 'OK', content: { 'text/plain': {} } }) },
  },
};

export function openApiDocument(groups: readonly ApiGroup[], version: string): Json {
  const paths: Record<string, Json> = {};
  for (const group of groups) for (const [path, item] of Object.entries(PATHS_BY_GROUP[group])) paths[path] = { ...paths[path], ...item };
  const title = groups.length === 1 ? `nserve ${groups[0]} API` : `nserve ${groups.join(' + ')} API`;
  return { openapi: '3.0.1', info: { title, description: 'TorchServe-compatible model server for ONNX models.', version }, paths };
}

/** `OPTIONS /predictions/{m}`: the routes that run this model. */
export function modelInferenceOpenApi(model: string): Json {
  const params: unknown[] = [];
  return {
    openapi: '3.0.1',
    info: { title: `RESTful API for: ${model}`, version: '1.0.0' },
    paths: {
      [`/predictions/${model}`]: { post: predict('predictions', params) },
      [`/explanations/${model}`]: { post: predict('explanations', params) },
      [`/v1/models/${model}:predict`]: { post: predict('kserveV1Predict', params) },
      [`/v2/models/${model}/infer`]: { post: predict('kserveV2Infer', params) },
    },
  };
}

/** `OPTIONS /models/{m}`: the management routes of this model. */
export function modelManagementOpenApi(model: string): Json {
  return {
    openapi: '3.0.1',
    info: { title: `Management API for: ${model}`, version: '1.0.0' },
    paths: {
      [`/models/${model}`]: {
        get: op('describeModel', 'Describe the default version.', [q('customized', 'boolean', 'Include the handler metadata.')], { description: 'OK' }),
        put: op('setAutoScale', 'Scale workers.', scaleParams),
        delete: op('unregisterModel', 'Unregister the default version.'),
      },
    },
  };
}
