/**
 * The inference listener's routes, from settings that can cross to a thread: the main thread
 * mounts them on its own inference listener (and KServe's late-bound ports), a front-end thread
 * on its copy of the listener over an `InferenceProxy`. One list, so both serve the same API.
 */
import type { InferenceApi } from '../inference/inference-api.js';
import type { HttpLogger, RoutePlugin } from '../protocols/http/http-app.js';
import { kserveV1Routes } from '../protocols/kserve-v1/routes.js';
import { kserveV2Routes } from '../protocols/kserve-v2/routes.js';
import { isEnvelopeKind, withEnvelope } from '../protocols/shared/envelope.js';
import { torchServeInferenceRoutes } from '../protocols/torchserve/inference-routes.js';
import { vertexRoutes } from '../protocols/vertex/routes.js';
import type { VertexSettings } from '../protocols/vertex/settings.js';

/** Plain data (structured-clone safe). */
export interface InferenceRoutesSpec {
  /** `service_envelope`: applies to TorchServe's /predictions and /explanations. */
  serviceEnvelope: string | undefined;
  /** Vertex AI container settings, when running as one. */
  vertex: VertexSettings | undefined;
  /** nserve's version, for KServe v2 server metadata and the API description. */
  version: string;
}

export function inferenceRoutePlugins(spec: InferenceRoutesSpec, inference: InferenceApi, logger?: HttpLogger): RoutePlugin[] {
  const { vertex } = spec;
  const envelope = spec.serviceEnvelope;
  return [
    torchServeInferenceRoutes({ inference: isEnvelopeKind(envelope) ? withEnvelope(inference, envelope) : inference, ...(logger === undefined ? {} : { logger }) }),
    kserveV1Routes({ inference }),
    kserveV2Routes({ inference, server: { name: 'nserve', version: spec.version } }),
    // AIP_HEALTH_ROUTE=/ping: TorchServe's own /ping (already a health check) answers it.
    ...(vertex === undefined ? [] : [vertexRoutes({ inference, settings: vertex, health: vertex.healthRoute !== '/ping' })]),
  ];
}
