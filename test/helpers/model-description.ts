/**
 * A `ModelDescription` as the management API returns it, for fakes: TorchServe's field set with
 * its defaults, `workers` READY workers (ids from 9000, as TorchServe's ports).
 */
import type { ModelDescription } from '../../src/management/management-api.js';

export function describeFixture(name: string, version: string, workers: number): ModelDescription {
  return {
    modelName: name,
    modelVersion: version,
    modelUrl: `${name}.mar`,
    runtime: 'python',
    minWorkers: workers,
    maxWorkers: workers,
    batchSize: 1,
    maxBatchDelay: 100,
    responseTimeout: 120,
    startupTimeout: 120,
    maxRetryTimeoutInSec: 300,
    clientTimeoutInMills: 0,
    parallelType: '',
    parallelLevel: 0,
    deviceType: 'cpu',
    continuousBatching: false,
    useJobTicket: false,
    useVenv: false,
    stateful: false,
    sequenceMaxIdleMSec: 0,
    sequenceTimeoutMSec: 0,
    maxNumSequence: 0,
    maxSequenceJobQueueSize: 0,
    loadedAtStartup: false,
    workers: Array.from({ length: workers }, (_, i) => ({
      id: String(9000 + i),
      startTime: '2025-03-17T11:20:57.034Z',
      status: 'READY' as const,
      memoryUsage: 0,
      pid: -1,
      gpu: false,
      gpuUsage: 'N/A',
    })),
    jobQueueStatus: { remainingCapacity: 100, pendingRequests: 0 },
  };
}
