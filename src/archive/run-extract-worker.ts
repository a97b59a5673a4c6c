/** Runs one `ExtractTask` in its own worker thread and settles with its result. */
import { Worker } from 'node:worker_threads';
import { ArchiveError, InvalidModelError, type ServeError } from '../errors/errors.js';
import { fromWire, type WireError } from '../errors/wire.js';
import { workerScriptUrl } from '../util/worker-script.js';
import type { ExtractDone, ExtractTask, ExtractWorkerMessage } from './extract-messages.js';

export interface RunningExtract {
  threadId: number;
  /** Settles once the worker reported and exited. */
  result: Promise<ExtractDone>;
  /** Stops the worker (e.g. a sibling failed). The promise then rejects. */
  terminate(): Promise<void>;
}

function rebuild(wire: WireError): ServeError {
  if (wire.code === 'NSERVE_ARCHIVE') return new ArchiveError(wire.message);
  if (wire.code === 'NSERVE_INVALID_MODEL') return new InvalidModelError(wire.message);
  return fromWire(wire);
}

export function runExtractWorker(task: ExtractTask, onProgress: (bytes: number, total: number, percent: number) => void): RunningExtract {
  const worker = new Worker(workerScriptUrl(import.meta.url, 'extract-worker'), { workerData: task });
  let settled: ExtractDone | ServeError | undefined;
  const result = new Promise<ExtractDone>((resolve, reject) => {
    worker.on('message', (message: ExtractWorkerMessage) => {
      if (message.type === 'progress') onProgress(message.bytes, message.total, message.percent);
      else if (message.type === 'done') settled = message.done;
      else settled = rebuild(message.error);
    });
    worker.on('error', (err: Error) => {
      settled ??= new ArchiveError(`Extraction of ${task.label} failed: ${err.message}`, { cause: err });
    });
    worker.on('exit', (code) => {
      if (settled === undefined) reject(new ArchiveError(`Extraction of ${task.label} stopped (worker exit code ${code})`));
      else if (settled instanceof Error) reject(settled);
      else resolve(settled);
    });
  });
  return {
    threadId: worker.threadId,
    result,
    terminate: async () => {
      await worker.terminate();
    },
  };
}
