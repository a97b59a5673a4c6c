/**
 * Errors crossing `postMessage` lose their class (structured clone keeps only Error's own
 * name/message/stack). `toWire` flattens a `ServeError` into plain data and `fromWire` rebuilds
 * an equivalent `ServeError` on the other side, so a worker's `PredictionError(…, {status: 599})`
 * reaches the HTTP error mapping with its kind, type and status intact.
 */
import { errorMessage } from '../util/error-message.js';
import { ServeError, type ErrorKind } from './errors.js';

export interface WireError {
  kind: ErrorKind;
  code: string;
  tsType: string;
  message: string;
  status?: number;
  stack?: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof ServeError) {
    const wire: WireError = { kind: err.kind, code: err.code, tsType: err.tsType, message: err.message };
    if (err.status !== undefined) wire.status = err.status;
    if (err.stack !== undefined) wire.stack = err.stack;
    return wire;
  }
  const message = errorMessage(err);
  const wire: WireError = { kind: 'INTERNAL', code: 'NSERVE_INTERNAL', tsType: 'InternalServerException', message };
  if (err instanceof Error && err.stack !== undefined) wire.stack = err.stack;
  return wire;
}

export function fromWire(wire: WireError): ServeError {
  const err = new ServeError(wire.kind, wire.code, wire.tsType, wire.message, wire.status === undefined ? {} : { status: wire.status });
  if (wire.stack !== undefined) err.stack = wire.stack;
  return err;
}
