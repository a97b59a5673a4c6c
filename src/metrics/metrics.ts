/**
 * The metrics implementation behind the core's `Metrics` interface (metrics-api.ts). The only
 * module that touches prom-client; one registry per instance (no global registry, no
 * module-level state).
 *
 * Hot path: `forModel` binds every label child once per model version and returns closures
 * that only add/set/observe (or write a log line in `log` mode). `/metrics` serialises with
 * TorchServe's simpleclient quirks (exposition.ts).
 *
 * Lifecycle: system metrics are sampled at creation and every `systemMetricsIntervalMs`
 * (default 60 s, TorchServe's `metric_time_interval`) on an unref'd timer; `close()` stops it.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metrics, ModelMetrics } from './metrics-api.js';
import {
  DEFAULT_LATENCY_BUCKETS, FAMILIES, SYSTEM_FAMILIES, helpOf, isExported, logLine, type FamilyDef, type MetricsMode,
} from './definitions.js';
import { CellHistogram } from './cell-histogram.js';
import { PROMETHEUS_CONTENT_TYPE, javaDouble, serializeFamily } from './exposition.js';
import { cpuTimes, sampleSystem, type CpuTimes, type SystemSample } from './system-metrics.js';

export interface MetricsOptions {
  mode: MetricsMode;
  hostname: string;
  /** Receives metric log lines for families that are not exported; default: dropped. */
  log?: (line: string) => void;
  /** Sample CPU/memory/disk (TorchServe's `disable_system_metrics=false`); default true. */
  systemMetrics?: boolean;
  systemMetricsIntervalMs?: number;
  latencyBuckets?: readonly number[];
  /** Wall clock in ms, for log timestamps (tests). */
  now?: () => number;
  /** Max distinct custom metric names from handlers; default 100. */
  maxCustomMetrics?: number;
}

export interface ServerMetrics extends Metrics {
  readonly mode: MetricsMode;
  /** `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string;
  /** Prometheus text of every exported family, or of those named in `filterNames` (`name[]`). Empty in `log` mode. */
  exposition(filterNames?: readonly string[]): Promise<string>;
  /** Samples system metrics now (also runs on the interval). */
  collectSystemMetrics(): Promise<void>;
  close(): void;
}

/**
 * A counter's increments (or a gauge's last value) since the last scrape, for one label set.
 * Listed on first use, so prom-client sees label sets in the order they were first used.
 */
interface PendingCell {
  labels: Record<string, string>;
  value: number;
  /** Touched since the last flush. */
  dirty: boolean;
  touch(): void;
}

function pendingCell(labelNames: readonly string[], values: readonly string[], cells: PendingCell[]): PendingCell {
  const labels: Record<string, string> = {};
  labelNames.forEach((name, i) => (labels[name] = values[i]!));
  let listed = false;
  const cell: PendingCell = {
    labels,
    value: 0,
    dirty: false,
    touch() {
      cell.dirty = true;
      if (!listed) {
        listed = true;
        cells.push(cell);
      }
    },
  };
  return cell;
}

/** Hand every touched cell to prom-client (counters: the increments since the last flush). */
function flushCells(cells: readonly PendingCell[], apply: (cell: PendingCell) => void): void {
  for (const cell of cells) {
    if (!cell.dirty) continue;
    apply(cell);
    cell.dirty = false;
  }
}

type Sink = (value: number, ...labels: string[]) => void;
type Bound = (value: number) => void;

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function createMetrics(options: MetricsOptions): ServerMetrics {
  const { mode, hostname } = options;
  const registry = new Registry();
  const now = options.now ?? Date.now;
  const log = options.log;
  const buckets = [...(options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS)];
  /** Exported families in registration order (the exposition order). */
  const collectors: Array<Counter | Gauge | CellHistogram> = [];

  /** A family: exported -> prom-client child per label set; else a log-line writer (or no-op). */
  function family(def: FamilyDef): (labels: string[]) => Bound {
    if (isExported(def, mode)) {
      const config = { name: def.name, help: helpOf(def), labelNames: [...def.labelNames], registers: [registry] };
      // Counters and gauges are updated in a cell of their own and handed to prom-client when a
      // scrape reads them (`collect`): prom-client hashes and validates the label set on every
      // inc/set, which cost ~1 µs per call, ~8 calls per request, on the event loop.
      if (def.kind === 'counter') {
        const cells: PendingCell[] = [];
        const c: Counter = new Counter({ ...config, collect: () => flushCells(cells, (cell) => {
            c.inc(cell.labels, cell.value);
            cell.value = 0;
          }) });
        collectors.push(c);
        return (labels) => {
          const cell = pendingCell(def.labelNames, labels, cells);
          return (v) => {
            if (!(v >= 0) || v === Infinity) return; // prom-client would throw: a counter only grows
            cell.value += v;
            cell.touch();
          };
        };
      }
      if (def.kind === 'gauge') {
        const cells: PendingCell[] = [];
        const g: Gauge = new Gauge({ ...config, collect: () => flushCells(cells, (cell) => g.set(cell.labels, cell.value)) });
        collectors.push(g);
        return (labels) => {
          const cell = pendingCell(def.labelNames, labels, cells);
          return (v) => {
            if (!Number.isFinite(v)) return;
            cell.value = v;
            cell.touch();
          };
        };
      }
      const h = new CellHistogram({ name: def.name, help: helpOf(def), labelNames: def.labelNames, buckets });
      registry.registerMetric(h as unknown as Histogram);
      collectors.push(h);
      return (labels) => h.bind(labels);
    }
    if (log === undefined || def.nserve === true) return () => () => {};
    return (labels) => (v) => log(logLine(def, labels, javaDouble(v), hostname, Math.floor(now() / 1000)));
  }

  const host = (labels: (l: string[]) => Bound) => labels(['Host', hostname]);
  const bind = Object.fromEntries(Object.entries(FAMILIES).map(([k, def]) => [k, family(def)])) as Record<keyof typeof FAMILIES, (labels: string[]) => Bound>;
  const responses = [host(bind.requests2xx), host(bind.requests4xx), host(bind.requests5xx)] as const;
  const queueTime = host(bind.queueTime);
  const workerThreadTime = host(bind.workerThreadTime);
  const system = new Map(SYSTEM_FAMILIES.map((def) => [def.name, host(family(def))]));

  const customs = new Map<string, { labelNames: string[]; sink: Sink }>();
  const maxCustom = options.maxCustomMetrics ?? 100;
  function customSink(name: string, unit: string, labelNames: string[]): Sink | undefined {
    const known = customs.get(name);
    if (known !== undefined) return known.labelNames.join() === labelNames.join() ? known.sink : undefined;
    if (customs.size >= maxCustom || !NAME_RE.test(name) || registry.getSingleMetric(name) || !labelNames.every((l) => LABEL_RE.test(l))) return undefined;
    const def: FamilyDef = { name, kind: 'gauge', unit, labelNames };
    const bound = family(def);
    const sink: Sink = (v, ...labels) => bound(labels)(v);
    customs.set(name, { labelNames, sink });
    return sink;
  }

  const models = new Map<string, ModelMetrics>();
  function forModel(modelName: string, modelVersion: string): ModelMetrics {
    const key = `${modelName}\u0000${modelVersion}`;
    const cached = models.get(key);
    if (cached !== undefined) return cached;
    const m = [modelName, modelVersion, hostname];
    const requests = bind.requests(m);
    const inferenceUs = bind.inferenceLatency(m);
    const queueUs = bind.queueLatency(m);
    const inferenceS = bind.inferenceSeconds([modelName, modelVersion]);
    const queueS = bind.queueSeconds([modelName, modelVersion]);
    const handlerS = bind.handlerSeconds([modelName, modelVersion]);
    const handlerMs = bind.handlerTime([modelName, 'Model', hostname]);
    const predictionMs = bind.predictionTime([modelName, 'Model', hostname]);
    const recorder: ModelMetrics = {
      request: () => requests(1),
      queued(us) {
        queueUs(us);
        queueTime(Math.round(us / 1000));
        queueS(us / 1e6);
      },
      completed(us) {
        inferenceUs(us);
        inferenceS(us / 1e6);
      },
      workerThreadTime: (ms) => workerThreadTime(ms),
      handlerTime(ms) {
        handlerMs(ms);
        predictionMs(ms);
        handlerS(ms / 1000);
      },
      workerLoaded: (workerName, ms) => bind.workerLoadTime([workerName, 'Host', hostname])(ms),
      custom(name, value, unit, dimensions) {
        // TorchServe's Python API appends ModelName and Level; Hostname comes last.
        const dims: Record<string, string> = { ...dimensions };
        if (dims['ModelName'] === undefined) dims['ModelName'] = modelName;
        if (dims['Level'] === undefined) dims['Level'] = 'Model';
        const labelNames = [...Object.keys(dims), 'Hostname'];
        customSink(name, unit || 'Count', labelNames)?.(value, ...Object.values(dims), hostname);
      },
    };
    models.set(key, recorder);
    return recorder;
  }

  let cpuPrev: CpuTimes = { idle: 0, total: 0 };
  async function collectSystemMetrics(): Promise<void> {
    const cpuNow = cpuTimes();
    const sample = await sampleSystem(cpuPrev, cpuNow);
    cpuPrev = cpuNow;
    for (const [name, value] of Object.entries(sample) as Array<[keyof SystemSample, number]>) system.get(name)?.(value);
  }

  let timer: NodeJS.Timeout | undefined;
  if (options.systemMetrics !== false) {
    const onError = () => {}; // a failed sample leaves the previous values
    collectSystemMetrics().catch(onError);
    timer = setInterval(() => collectSystemMetrics().catch(onError), options.systemMetricsIntervalMs ?? 60_000);
    timer.unref();
  }

  return {
    mode,
    contentType: PROMETHEUS_CONTENT_TYPE,
    forModel,
    response(status) {
      responses[status >= 200 && status < 300 ? 0 : status >= 400 && status < 500 ? 1 : 2](1);
    },
    async exposition(filterNames) {
      if (mode === 'log') return '';
      const filter = filterNames === undefined || filterNames.length === 0 ? undefined : new Set(filterNames);
      let out = '';
      for (const metric of collectors) {
        const family = await metric.get();
        if (filter === undefined || filter.has(family.name)) out += serializeFamily(family);
      }
      return out;
    },
    collectSystemMetrics,
    close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
}
