/**
 * Connection bookkeeping for a listener's graceful stop (SIGTERM). Node's `server.close()` only
 * reaps the connections idle at that moment; keep-alive clients would otherwise hold the stop
 * for the whole drain. Once `start()` is called:
 *
 * - responses still to be written say `connection: close` (the socket ends after them);
 * - idle keep-alive connections are closed at once, and again whenever a response finishes;
 * - connections that never sent a byte are closed too (Node counts them as active: a client
 *   pool's spare connection would keep the server open until the client drops it).
 *
 * Per connection, not per request: nothing here runs on the request path until `start()`.
 *
 * `releasing` (front-end steering, front-end/front-end-threads.ts) asks for the first of these
 * only: answers say `connection: close`, so each client reconnects after its current answer and
 * lands on whichever event loop accepts by then. Nothing is closed under a client: the close is
 * announced in the answer it gets.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export class ConnectionDrain {
  private started = false;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** Answers say `connection: close` while true (see above). */
  releasing = false;

  /** True once the stop began, or while releasing: answer with `connection: close`, call `responded()` after each answer. */
  get draining(): boolean {
    return this.started || this.releasing;
  }

  attach(server: Server): void {
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  start(): void {
    this.started = true;
    this.closeIdle();
  }

  /** A response finished during the drain: its connection may be idle now. */
  responded(): void {
    if (this.started) this.closeIdle();
  }

  private closeIdle(): void {
    this.server?.closeIdleConnections?.();
    for (const socket of this.sockets) if (socket.bytesRead === 0) socket.destroy();
  }
}

/**
 * Stops a listener: no new connections, in-flight requests finish (keep-alive ones do not hold
 * the stop, see above), and whatever is still open after `drainMs` is cut.
 */
export async function closeDraining(app: { readonly server: Server; close(): PromiseLike<unknown> }, drain: ConnectionDrain, drainMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections?.(), drainMs);
  timer.unref();
  try {
    const closed = app.close();
    drain.start(); // after close(): no connection can arrive unseen any more
    await closed;
  } finally {
    clearTimeout(timer);
  }
}
