/**
 * Stops and resumes accepting on a server of the shared inference socket, leaving its
 * connections alone, and counts them.
 *
 * - `accept()` listens on a fresh duplicate from the thread's `SocketPool` (shared-socket.ts);
 *   when none is ready it listens as soon as the pool's refill lands, unless paused meanwhile.
 * - `pause()` closes the listening handle only: `net.Server.prototype.close`, not
 *   `http.Server.close`, which would also close the idle keep-alive connections. Connections
 *   arriving meanwhile wait in the socket's backlog for whichever loop accepts.
 * - A server closed for good (`server.close()`, the listener's drain) is not reopened.
 *
 * `onCount` hears every change of the number of open connections.
 */
import net from 'node:net';
import type { SocketPool } from './shared-socket.js';

export class ListenGate {
  private wanted = false;
  private ended = false;
  private connections = 0;
  private onAccepting: (() => void) | undefined;

  constructor(
    private readonly server: net.Server,
    private readonly pool: SocketPool,
    private readonly hooks: { onCount?: (open: number) => void; onError?: (err: Error) => void } = {},
  ) {
    server.on('connection', (socket: net.Socket) => {
      this.count(1);
      socket.once('close', () => this.count(-1));
    });
    server.on('error', (err: Error) => hooks.onError?.(err));
  }

  /** Open connections (accepted in any listening period). */
  get open(): number {
    return this.connections;
  }

  get accepting(): boolean {
    return this.server.listening;
  }

  /** Starts accepting (at once when the pool has a duplicate); `onAccepting` runs once it does. */
  accept(onAccepting?: () => void): void {
    if (this.ended) return;
    this.wanted = true;
    this.onAccepting = onAccepting;
    if (this.server.listening) {
      this.accepted();
      return;
    }
    const handle = this.pool.take();
    if (handle === undefined) {
      this.pool.whenAvailable(() => {
        if (this.wanted && !this.server.listening) this.accept(this.onAccepting);
      });
      return;
    }
    this.server.listen(handle, () => this.accepted());
  }

  /** Stops accepting; open connections are served on. */
  pause(): void {
    this.wanted = false;
    this.onAccepting = undefined;
    if (this.server.listening) net.Server.prototype.close.call(this.server);
  }

  /** Stops for good: pauses and closes the pool's spare duplicates. */
  end(): void {
    this.pause();
    this.ended = true;
    this.pool.close();
  }

  private accepted(): void {
    if (!this.wanted) {
      // Paused while the listen was under way.
      if (this.server.listening) net.Server.prototype.close.call(this.server);
      return;
    }
    const done = this.onAccepting;
    this.onAccepting = undefined;
    done?.();
  }

  private count(delta: number): void {
    this.connections += delta;
    this.hooks.onCount?.(this.connections);
  }
}
