export * from './metrics-api.js';
export { createMetrics, type MetricsOptions, type ServerMetrics } from './metrics.js';
export { type MetricsMode } from './definitions.js';
export { PROMETHEUS_CONTENT_TYPE, javaDouble } from './exposition.js';
