/**
 * Small helpers shared by the gRPC services: cancellation -> AbortSignal, writes that respect
 * back-pressure, and unary calls that map errors through the one status table.
 */
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { EventEmitter } from 'node:events';
import type { InferenceResult } from '../../inference/types.js';
import { toServiceError } from './status-mapping.js';

/** An AbortSignal that fires when the client cancels the call (or its deadline passes). */
export function cancelSignal(call: EventEmitter): AbortSignal {
  const controller = new AbortController();
  call.once('cancelled', () => controller.abort());
  return controller.signal;
}

interface WritableCall extends EventEmitter {
  write(message: unknown): boolean;
}

/** Write one message; when the transport buffer is full, wait for 'drain' (or cancellation). */
export async function writeMessage(call: WritableCall, message: unknown, signal: AbortSignal): Promise<void> {
  if (call.write(message) || signal.aborted) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The full body of a result (a streamed result's chunks concatenated). */
export async function collectBody(result: InferenceResult): Promise<Uint8Array> {
  if (result.stream === undefined) return result.body ?? new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  for await (const chunk of result.stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The chunks of a result, one per message: a streamed result's chunks, or its single body
 * (a handler that does not stream answers with one message).
 */
export async function* resultChunks(result: InferenceResult, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  if (result.stream === undefined) {
    yield result.body ?? new Uint8Array(0);
    return;
  }
  for await (const chunk of result.stream) {
    if (signal.aborted) return;
    yield chunk;
  }
}

/** Run a unary handler: resolve -> OK with the value, reject -> the mapped status. */
export function unary<Req, Res>(handler: (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => handler(call.request, call))
      .then(
        (value) => callback(null, value),
        (err: unknown) => callback(toServiceError(err)),
      );
  };
}
