/**
 * Builds TorchServe's describe body for one model version (§2.4): field order is Gson's
 * declaration order, worker `startTime` is local time with a literal `Z`.
 */
import type { ModelEntry } from '../registry/model-entry.js';
import type { ModelDescription, WorkerDescription } from './management-api.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `yyyy-MM-dd'T'HH:mm:ss.SSS'Z'` in the server's local time zone (TorchServe's Gson date format). */
export function formatLocalTimestamp(d: Date): string {
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}Z`
  );
}

const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const bool = (v: unknown): boolean => v === true;

export function describeEntry(entry: ModelEntry): ModelDescription {
  const s = entry.settings;
  const yaml = s.modelConfig;
  const sequenceIdle = num(yaml.sequenceMaxIdleMSec, 0);
  const workers: WorkerDescription[] = entry.pool.stats().map((w) => ({
    id: w.id,
    startTime: formatLocalTimestamp(w.startTime),
    status: w.status,
    memoryUsage: w.memoryUsage,
    pid: w.pid,
    gpu: false,
    gpuUsage: 'N/A',
  }));
  const d: ModelDescription = {
    modelName: entry.name,
    modelVersion: entry.version,
    modelUrl: entry.modelUrl,
    runtime: entry.runtime,
    minWorkers: s.minWorkers,
    maxWorkers: s.maxWorkers,
    batchSize: s.batchSize,
    maxBatchDelay: s.maxBatchDelay,
    responseTimeout: s.responseTimeout,
    startupTimeout: s.startupTimeout,
    maxRetryTimeoutInSec: s.maxRetryTimeoutInSec,
    clientTimeoutInMills: num(yaml.clientTimeoutInMills, 0),
    parallelType: typeof yaml.parallelType === 'string' ? yaml.parallelType : '',
    parallelLevel: num(yaml.parallelLevel, 0),
    deviceType: yaml.deviceType === 'gpu' ? 'gpu' : 'cpu',
    continuousBatching: bool(yaml.continuousBatching),
    useJobTicket: bool(yaml.useJobTicket),
    useVenv: bool(yaml.useVenv),
    stateful: bool(yaml.sequenceBatching),
    sequenceMaxIdleMSec: sequenceIdle,
    sequenceTimeoutMSec: num(yaml.sequenceTimeoutMSec, 0),
    maxNumSequence: sequenceIdle > 0 ? num(yaml.maxNumSequence, 1) : 0,
    maxSequenceJobQueueSize: sequenceIdle > 0 ? num(yaml.maxSequenceJobQueueSize, 1) : 0,
    loadedAtStartup: entry.loadedAtStartup,
    workers,
    jobQueueStatus: { remainingCapacity: entry.queue.remainingCapacity, pendingRequests: entry.queue.pending },
  };
  const loadError = entry.pool.loadError;
  if (loadError !== undefined) d.loadError = loadError;
  return d;
}
