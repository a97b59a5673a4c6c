/**
 * `GET /metrics` on the metrics listener (TorchServe port 8082): Prometheus text 0.0.4 in
 * TorchServe's simpleclient layout, optionally limited to the families named by repeated
 * `name[]` query parameters. Like TorchServe: any method, any path whose first segment is
 * `metrics`, no token, and an empty 200 body in `metrics_mode=log`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** What the route needs of `ServerMetrics` (metrics/metrics.ts). */
export interface MetricsExposition {
  readonly contentType: string;
  exposition(filterNames?: readonly string[]): Promise<string>;
}

export interface MetricsRoutesOptions {
  metrics: MetricsExposition;
}

/** `name[]=a&name[]=b` -> `['a', 'b']`; also accepts a plain repeated `name`. */
export function filterNames(query: unknown): string[] | undefined {
  if (typeof query !== 'object' || query === null) return undefined;
  const q = query as Record<string, unknown>;
  const raw = q['name[]'] ?? q['name'];
  if (raw === undefined) return undefined;
  const names = (Array.isArray(raw) ? raw : [raw]).filter((n): n is string => typeof n === 'string' && n !== '');
  return names.length === 0 ? undefined : names;
}

export function metricsRoutes(options: MetricsRoutesOptions): (app: FastifyInstance) => void {
  const { metrics } = options;
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const text = await metrics.exposition(filterNames(request.query));
    return reply.type(metrics.contentType).send(text);
  };
  return (app) => {
    app.all('/metrics', handler);
    app.all('/metrics/*', handler);
  };
}
