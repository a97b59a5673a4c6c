/**
 * The protocol between the main thread and a model worker thread (the role TorchServe's OTF
 * socket codec plays for its Python workers). Plain data only: everything here goes through
 * `postMessage` (structured clone), with `Uint8Array` buffers transferred where the sender owns
 * them. Errors travel as `WireError` (`errors/wire.ts`).
 *
 * main → worker: `load` (once), then `predict` / `describe` (one at a time per worker; the
 * worker also serialises them itself), then `unload` (finalize) before termination.
 * worker → main: `loaded` | `load-error` for `load`; for a `predict` batch either one `error`
 * (the whole batch failed: handler threw or returned a bad list), `skipped` (abandoned before it
 * started, see `load.skip`), or one `result`, followed, for
 * each response marked `stream`, by `chunk`s and exactly one `end` (with `error` if the stream
 * failed); `described` for `describe`; `unloaded`; and any time `log` / `metric`.
 */
import type { WireError } from '../errors/wire.js';
import type { Manifest, ModelSettings } from '../handlers/handler.js';
import type { ModelSignature } from '../inference/types.js';

export interface LoadPayload {
  modelName: string;
  modelVersion: string;
  modelDir: string;
  manifest: Manifest;
  settings: ModelSettings;
  /** Handler string: a built-in name (`onnx`, `echo`, …) or `file.js[:Export]` inside modelDir. */
  handler: string;
  deviceId: number;
}

export interface WireParameter {
  name: string;
  contentType: string;
  value: Uint8Array;
}

export interface WireRequest {
  requestId: string;
  headers: Record<string, string>;
  parameters: WireParameter[];
  explain: boolean;
}

export type MainToWorker =
  /**
   * `skip[id % skip.length] === id`: the queued `predict` batch `id` must not run (its clients
   * are gone). One slot per batch that can be in flight at once.
   */
  | {
      type: 'load';
      payload: LoadPayload;
      skip?: Int32Array;
      /**
       * `running[0]`: the id of the batch whose handler call is under way, 0 between calls.
       * Answers leave the thread at the end of its turn, so when it dies this, not the oldest
       * batch without an answer, names the batch that was running.
       */
      running?: Int32Array;
    }
  | { type: 'predict'; batchId: number; requests: WireRequest[] }
  /** Several `predict` batches in one message (sent while the thread is busy), run in order. */
  | { type: 'predict-many'; batches: { batchId: number; requests: WireRequest[] }[] }
  /** `predict` batches packed into one buffer (wire-pack.ts), run in order. */
  | { type: 'packed'; bytes: Uint8Array }
  | { type: 'describe'; batchId: number; headers: Record<string, string> }
  | { type: 'unload' };

/** One request's answer inside a `result` message. */
export type WireResponse =
  | { kind: 'body'; status: number; headers: Record<string, string>; contentType?: string; body: Uint8Array }
  | { kind: 'stream'; status: number; headers: Record<string, string>; contentType?: string }
  /** The handler returned an `Error` for this request only (e.g. InvalidInputError → 400). */
  | { kind: 'error'; error: WireError };

export type LogLevel = 'info' | 'warn' | 'error';

export type WorkerToMain =
  | { type: 'loaded'; signature?: ModelSignature; loadMs: number }
  | { type: 'load-error'; error: WireError }
  | { type: 'result'; batchId: number; responses: WireResponse[]; handlerMs: number }
  | { type: 'error'; batchId: number; error: WireError }
  | { type: 'chunk'; batchId: number; index: number; data: Uint8Array }
  | { type: 'end'; batchId: number; index: number; error?: WireError }
  | { type: 'described'; batchId: number; metadata: unknown }
  /** A `predict` batch not run because `skip` named it. */
  | { type: 'skipped'; batchId: number }
  | { type: 'unloaded' }
  | { type: 'log'; level: LogLevel; message: string }
  | { type: 'metric'; name: string; value: number; unit: string; dimensions: Record<string, string> }
  /** Several of the above posted together at the end of the thread's event-loop turn, in order. */
  | { type: 'many'; messages: WorkerToMain[] }
  /** The same with full-body `result`s packed into `bytes` (wire-pack.ts), which also places `messages` in the order. */
  | { type: 'packed'; bytes: Uint8Array; messages: WorkerToMain[] };

/** The ArrayBuffers of `views` that can be transferred without detaching anything else. */
export function transferables(views: Iterable<Uint8Array>, minBytes = 0): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  const seen = new Set<ArrayBufferLike>();
  for (const v of views) {
    const buf = v.buffer;
    // Only a view that covers its whole buffer: a Buffer from Node's shared pool never does.
    if (!(buf instanceof ArrayBuffer) || v.byteOffset !== 0 || v.byteLength !== buf.byteLength) continue;
    if (v.byteLength < minBytes || seen.has(buf)) continue;
    seen.add(buf);
    out.push(buf);
  }
  return out;
}
