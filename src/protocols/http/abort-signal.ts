import type { FastifyReply } from 'fastify';
import { CancelledError } from '../../errors/index.js';

/**
 * An AbortSignal that fires when the client connection closes before the response was fully
 * written. Pass it to the service so a queued job of a client that went away never runs.
 */
export function connectionSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new CancelledError());
  });
  return controller.signal;
}

/**
 * The same as `connectionSignal` for `PredictOptions.onCancel`: no AbortController/EventTarget
 * per request, one `close` listener on the response (never removed: it is a no-op once the
 * response was written, and goes away with it).
 */
export function connectionCancel(reply: FastifyReply): (cancel: () => void) => void {
  const res = reply.raw;
  return (cancel) => {
    res.on('close', () => {
      if (!res.writableFinished) cancel();
    });
  };
}
