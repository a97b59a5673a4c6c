/**
 * The script every model worker thread runs. It holds exactly one handler instance and executes
 * the messages of `messages.ts` strictly one at a time (so `handle` is never re-entered), posting
 * answers back to the main thread. This is the only module through which handlers are loaded.
 *
 * Failure semantics (what the main thread sees):
 * - `initialize` throws → `load-error` (the main thread retries with back-off);
 * - `handle` throws → one `error` for the batch: `PredictionError` ("Prediction failed", or the
 *   thrown `ServeError`, or the `status`/message of an error carrying a numeric `status`);
 *   the thread keeps serving;
 * - `handle` returns a non-array / an array of the wrong length → `error` with TorchServe's
 *   messages "Invalid model predict output" / "number of batch response mismatched";
 * - an `Error` *inside* the returned array fails that request only.
 */
import { parentPort } from 'node:worker_threads';
import { OutOfResourcesError, PredictionError, ServeError, toWire } from '../errors/index.js';
import type { Handler, HandlerContext } from '../handlers/handler.js';
import { loadHandler } from './handler-loader.js';
import type { LoadPayload, MainToWorker, WireRequest, WorkerToMain } from './messages.js';
import { unpackBatches } from './wire-pack.js';
import { WorkerOutbox, type OutgoingResponse } from './worker-outbox.js';
import { decodeRequest, encodeBody, encodeChunk, isAsyncIterable } from './request-codec.js';
import { errorMessage } from '../util/error-message.js';

const port = parentPort;
if (port === null) throw new Error('worker-entry must run inside a worker thread');

const outbox = new WorkerOutbox(port);
const post = (msg: WorkerToMain): void => outbox.post(msg);

interface ResponseState {
  status: number[];
  contentType: (string | undefined)[];
  headers: Record<string, string>[];
}

let handler: Handler | undefined;
let context: HandlerContext | undefined;
let responseState: ResponseState = { status: [], contentType: [], headers: [] };
/** Shared with the main thread: a queued batch to skip, the batch running (see messages.ts). */
let skip: Int32Array | undefined;
let running: Int32Array | undefined;
/** Duration of the last handler call (ms): after a slow one, answers waiting are sent before the next call. */
let lastCallMs = 0;
const SLOW_CALL_MS = 1;

function makeContext(p: LoadPayload): HandlerContext {
  const log = (level: 'info' | 'warn' | 'error') => (message: string) => post({ type: 'log', level, message });
  return {
    modelName: p.modelName,
    modelVersion: p.modelVersion,
    modelDir: p.modelDir,
    manifest: p.manifest,
    settings: p.settings,
    deviceId: p.deviceId,
    batchSize: 0,
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    setResponseStatus(index, status) {
      responseState.status[index] = status;
    },
    setResponseContentType(index, contentType) {
      responseState.contentType[index] = contentType;
    },
    setResponseHeader(index, name, value) {
      (responseState.headers[index] ??= {})[name] = value;
    },
    emitMetric(name, value, unit = 'Count', dimensions = {}) {
      post({ type: 'metric', name, value, unit, dimensions });
    },
  };
}

/** Map anything a handler threw to the error the batch fails with. */
function batchError(err: unknown): ServeError {
  if (err instanceof ServeError) return err;
  const message = errorMessage(err);
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && Number.isInteger(status)) return new PredictionError(message, { status, cause: err });
  if (/CUDA|out of memory|Array buffer allocation failed/i.test(message)) return new OutOfResourcesError(undefined, { cause: err });
  post({ type: 'log', level: 'error', message: `handler failed: ${err instanceof Error ? (err.stack ?? message) : message}` });
  return new PredictionError('Prediction failed', { cause: err });
}

/** An `Error` a handler returned for one request: a numeric `status` on it is kept, as for a thrown one. */
function requestError(err: Error): Error {
  if (err instanceof ServeError) return err;
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && Number.isInteger(status)) return new PredictionError(err.message, { status, cause: err });
  return err;
}

async function load(p: LoadPayload): Promise<void> {
  const started = performance.now();
  try {
    handler = await loadHandler(p.handler, p.modelDir);
    context = makeContext(p);
    await handler.initialize(context);
    const signature = handler.signature?.();
    const msg: WorkerToMain = { type: 'loaded', loadMs: performance.now() - started };
    if (signature !== undefined) msg.signature = signature;
    post(msg);
  } catch (err) {
    handler = undefined;
    post({ type: 'load-error', error: toWire(err) });
  }
}

/**
 * Run `handle` (or `explain`) on `requests` (or only those at `indices`), storing one result
 * per request at its original index in `results` and its status/content type/headers in `state`.
 */
async function runGroup(requests: WireRequest[], indices: number[] | undefined, explain: boolean, state: ResponseState, results: unknown[]): Promise<void> {
  const h = handler!;
  const ctx = context!;
  const decoded = indices === undefined ? requests.map(decodeRequest) : indices.map((i) => decodeRequest(requests[i]!));
  responseState = { status: [], contentType: [], headers: [] };
  ctx.batchSize = decoded.length;
  const out: unknown = await (explain && h.explain ? h.explain(decoded, ctx) : h.handle(decoded, ctx));
  if (!Array.isArray(out)) throw new PredictionError('Invalid model predict output');
  if (out.length !== decoded.length) throw new PredictionError('number of batch response mismatched');
  for (let j = 0; j < out.length; j++) {
    const orig = indices === undefined ? j : indices[j]!;
    results[orig] = out[j];
    state.status[orig] = responseState.status[j] ?? 200;
    state.contentType[orig] = responseState.contentType[j];
    state.headers[orig] = responseState.headers[j] ?? {};
  }
}


async function predict(batchId: number, requests: WireRequest[]): Promise<void> {
  if (skip !== undefined && Atomics.load(skip, batchId % skip.length) === batchId) {
    post({ type: 'skipped', batchId });
    return;
  }
  if (handler === undefined || context === undefined) {
    post({ type: 'error', batchId, error: toWire(new PredictionError('Model is not loaded')) });
    return;
  }
  // Answers already given wait for the end of the turn, unless this call may be long.
  if (lastCallMs >= SLOW_CALL_MS && outbox.pending) outbox.flush();
  const started = performance.now();
  if (running !== undefined) Atomics.store(running, 0, batchId);
  const state: ResponseState = { status: [], contentType: [], headers: [] };
  const results: unknown[] = new Array(requests.length);
  const responses: OutgoingResponse[] = [];
  let streams: { index: number; iterable: AsyncIterable<unknown> }[] | undefined;
  try {
    let explained = 0;
    for (const r of requests) if (r.explain) explained++;
    if (explained === 0 || explained === requests.length) await runGroup(requests, undefined, explained > 0, state, results);
    else {
      const plain: number[] = [];
      const explain: number[] = [];
      requests.forEach((r, i) => (r.explain ? explain : plain).push(i));
      await runGroup(requests, plain, false, state, results);
      await runGroup(requests, explain, true, state, results);
    }
    lastCallMs = performance.now() - started;
    if (running !== undefined) Atomics.store(running, 0, 0);
    for (let i = 0; i < requests.length; i++) {
      const value = results[i];
      const status = state.status[i] ?? 200;
      const headers = state.headers[i] ?? {};
      const ct = state.contentType[i];
      if (value instanceof Error) {
        responses.push({ kind: 'error', error: toWire(requestError(value)) });
      } else if (isAsyncIterable(value)) {
        responses.push(ct === undefined ? { kind: 'stream', status, headers } : { kind: 'stream', status, headers, contentType: ct });
        (streams ??= []).push({ index: i, iterable: value });
      } else {
        const body = encodeBody(value);
        responses.push(ct === undefined ? { kind: 'body', status, headers, body } : { kind: 'body', status, headers, body, contentType: ct });
      }
    }
  } catch (err) {
    lastCallMs = performance.now() - started;
    if (running !== undefined) Atomics.store(running, 0, 0);
    post({ type: 'error', batchId, error: toWire(batchError(err)) });
    return;
  }
  outbox.postResult(batchId, responses, performance.now() - started);
  if (streams === undefined) return;
  await Promise.all(
    streams.map(async ({ index, iterable }) => {
      try {
        for await (const chunk of iterable) {
          outbox.postChunk(batchId, index, encodeChunk(chunk));
        }
        post({ type: 'end', batchId, index });
      } catch (err) {
        post({ type: 'end', batchId, index, error: toWire(batchError(err)) });
      }
    }),
  );
}

async function predictMany(batches: { batchId: number; requests: WireRequest[] }[]): Promise<void> {
  for (const b of batches) await predict(b.batchId, b.requests);
}

async function describe(batchId: number, headers: Record<string, string>): Promise<void> {
  // The request headers (plus `describe: "True"`) are TorchServe's; handlers here get the context.
  void headers;
  try {
    const metadata = handler?.describe && context ? await handler.describe({ ...context, batchSize: 1 }) : undefined;
    const plain: unknown = metadata === undefined ? null : JSON.parse(JSON.stringify(metadata) ?? 'null');
    post({ type: 'described', batchId, metadata: plain });
  } catch (err) {
    post({ type: 'error', batchId, error: toWire(batchError(err)) });
  }
}

async function unload(): Promise<void> {
  try {
    await handler?.finalize?.();
  } catch (err) {
    post({ type: 'log', level: 'warn', message: `finalize failed: ${errorMessage(err)}` });
  }
  handler = undefined;
  post({ type: 'unloaded' });
}

let chain: Promise<void> = Promise.resolve();
port.on('message', (msg: MainToWorker) => {
  chain = chain.then(() => {
    switch (msg.type) {
      case 'load':
        skip = msg.skip;
        running = msg.running;
        return load(msg.payload);
      case 'predict':
        return predict(msg.batchId, msg.requests);
      case 'predict-many':
        return predictMany(msg.batches);
      case 'packed':
        return predictMany(unpackBatches(msg.bytes));
      case 'describe':
        return describe(msg.batchId, msg.headers);
      case 'unload':
        return unload();
    }
  });
});
