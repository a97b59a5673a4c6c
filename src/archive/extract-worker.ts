/**
 * Worker-thread entry: extracts one archive (`workerData: ExtractTask`) and reports progress
 * (throttled to every ~5 % or 2 s), then `done` or `error`. Loaded from `dist/` (compiled JS).
 */
import { performance } from 'node:perf_hooks';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { toWire } from '../errors/wire.js';
import type { ExtractTask, ExtractWorkerMessage } from './extract-messages.js';
import { ProgressThrottle } from './progress.js';
import { extractZip } from './zip-reader.js';

const port = parentPort;
if (port === null) throw new Error('extract-worker must run in a worker thread');
const task = workerData as ExtractTask;
const post = (message: ExtractWorkerMessage): void => port.postMessage(message);

let throttle: ProgressThrottle | undefined;
const onProgress = (bytes: number, total: number): void => {
  throttle ??= new ProgressThrottle({ total });
  const percent = throttle.update(bytes);
  if (percent !== undefined) post({ type: 'progress', bytes, total, percent });
};

const started = performance.now();
const work =
  task.format === 'zip'
    ? extractZip(task.archive, task.destDir, { label: task.label, limits: task.limits, onProgress })
    : // tar is loaded only for tgz archives: most workers extract zips and start faster without it.
      import('./tar-reader.js').then(({ extractTarGz }) =>
        extractTarGz(task.archive, task.destDir, { label: task.label, limits: task.limits, strip: task.strip ?? 1, onProgress }),
      );

work.then(
  (result) =>
    post({
      type: 'done',
      done: { ...result, ms: performance.now() - started, threadId, maxRssKiB: process.resourceUsage().maxRSS },
    }),
  (err: unknown) => post({ type: 'error', error: toWire(err) }),
);
