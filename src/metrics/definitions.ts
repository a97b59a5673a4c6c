/**
 * TorchServe's metric families (`ts/configs/metrics.yaml`, torchserve.md §3.3) plus nserve's
 * latency histograms. Names, types, units and label order are TorchServe's: dashboards and
 * alert rules written for TorchServe keep working. Which families are Prometheus collectors
 * and which are log lines depends on `metrics_mode` (§3.4):
 *
 * - `prometheus`: everything is exported;
 * - `legacy`: only the three `ts_*` model counters (and nserve's histograms) are exported,
 *   the rest is logged;
 * - `log`: everything is logged, nothing exported (`/metrics` is empty); histograms, which
 *   TorchServe does not have, are dropped.
 */

export type MetricsMode = 'log' | 'prometheus' | 'legacy';

export type FamilyKind = 'counter' | 'gauge' | 'histogram';

export interface FamilyDef {
  name: string;
  kind: FamilyKind;
  unit: string;
  labelNames: readonly string[];
  /** One of TorchServe's three `ts_*` model counters (exported in legacy mode). */
  legacy?: boolean;
  /** nserve addition (histogram). */
  nserve?: boolean;
  help?: string;
}

const HOST = ['Level', 'Hostname'] as const;
const MODEL = ['model_name', 'model_version', 'hostname'] as const;
const HOST_UNITS: Array<[string, string]> = [
  ['CPUUtilization', 'Percent'],
  ['MemoryUsed', 'Megabytes'],
  ['MemoryAvailable', 'Megabytes'],
  ['MemoryUtilization', 'Percent'],
  ['DiskUsage', 'Gigabytes'],
  ['DiskUtilization', 'Percent'],
  ['DiskAvailable', 'Gigabytes'],
];

export const FAMILIES = {
  requests2xx: { name: 'Requests2XX', kind: 'counter', unit: 'Count', labelNames: HOST },
  requests4xx: { name: 'Requests4XX', kind: 'counter', unit: 'Count', labelNames: HOST },
  requests5xx: { name: 'Requests5XX', kind: 'counter', unit: 'Count', labelNames: HOST },
  requests: { name: 'ts_inference_requests_total', kind: 'counter', unit: 'Count', labelNames: MODEL, legacy: true },
  inferenceLatency: { name: 'ts_inference_latency_microseconds', kind: 'counter', unit: 'Microseconds', labelNames: MODEL, legacy: true },
  queueLatency: { name: 'ts_queue_latency_microseconds', kind: 'counter', unit: 'Microseconds', labelNames: MODEL, legacy: true },
  queueTime: { name: 'QueueTime', kind: 'gauge', unit: 'Milliseconds', labelNames: HOST },
  workerThreadTime: { name: 'WorkerThreadTime', kind: 'gauge', unit: 'Milliseconds', labelNames: HOST },
  workerLoadTime: { name: 'WorkerLoadTime', kind: 'gauge', unit: 'Milliseconds', labelNames: ['WorkerName', ...HOST] },
  handlerTime: { name: 'HandlerTime', kind: 'gauge', unit: 'ms', labelNames: ['ModelName', ...HOST] },
  predictionTime: { name: 'PredictionTime', kind: 'gauge', unit: 'ms', labelNames: ['ModelName', ...HOST] },
  inferenceSeconds: {
    name: 'nserve_inference_latency_seconds', kind: 'histogram', unit: 'Seconds', labelNames: ['model_name', 'model_version'], nserve: true,
    help: 'Request latency from arrival to response (end of stream), per model, in seconds.',
  },
  queueSeconds: {
    name: 'nserve_queue_latency_seconds', kind: 'histogram', unit: 'Seconds', labelNames: ['model_name', 'model_version'], nserve: true,
    help: 'Time a request waited in the model queue before its batch started, in seconds.',
  },
  handlerSeconds: {
    name: 'nserve_handler_latency_seconds', kind: 'histogram', unit: 'Seconds', labelNames: ['model_name', 'model_version'], nserve: true,
    help: 'Handler time per batch, per model, in seconds.',
  },
} as const satisfies Record<string, FamilyDef>;

export const SYSTEM_FAMILIES: readonly FamilyDef[] = HOST_UNITS.map(([name, unit]) => ({ name, kind: 'gauge', unit, labelNames: HOST }));

/** Seconds; spans a 1 ms no-op model to multi-minute SDXL generations. */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function isExported(def: FamilyDef, mode: MetricsMode): boolean {
  if (mode === 'prometheus') return true;
  if (mode === 'legacy') return def.legacy === true || def.nserve === true;
  return false;
}

/** TorchServe's HELP text. */
export function helpOf(def: FamilyDef): string {
  return def.help ?? `Torchserve prometheus ${def.kind} metric with unit: ${def.unit}`;
}

/**
 * TorchServe's metric log line (`ts_metrics.log`):
 * `Requests2XX.Count:1.0|#Level:Host|#hostname:<host>,timestamp:<epochSeconds>`.
 * Hostname labels go to the `#hostname:` block, the others to the dimensions block.
 */
export function logLine(def: Pick<FamilyDef, 'name' | 'unit' | 'labelNames'>, labelValues: readonly string[], value: string, hostname: string, epochSeconds: number): string {
  const dims: string[] = [];
  def.labelNames.forEach((label, i) => {
    if (label !== 'Hostname' && label !== 'hostname') dims.push(`${label}:${labelValues[i] ?? ''}`);
  });
  return `${def.name}.${def.unit}:${value}|#${dims.join(',')}|#hostname:${hostname},timestamp:${epochSeconds}`;
}
