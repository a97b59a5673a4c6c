/**
 * One listening TCP socket for several event loops, each accepting on a descriptor of its own,
 * and each able to stop and start accepting again without touching its connections
 * (listen-gate.ts).
 *
 * Node 20 has neither `listen({ reusePort })` (22.12+) nor `dup()`. Threads can listen on one
 * shared descriptor, but when one of them closes it, the others' next accept aborts the process
 * in libuv. So every listening period gets a fresh duplicate of the socket, made by the kernel
 * when a handle crosses an IPC channel (SCM_RIGHTS): a short-lived helper process inherits the
 * socket as its descriptor 4 and sends it back as often as asked. What arrives is a libuv TCP
 * handle of the calling thread, wrapping a new descriptor of the same socket: `server.listen`
 * takes it as it is, and `server.close()` frees both. Any thread may ask (worker threads too),
 * so no thread ever adopts a descriptor that another thread's handle still owns.
 *
 * - `shareListeningSocket(server)`: a spare descriptor of a listening server's socket, the
 *   source of every later duplicate. It is never polled (it accepts nothing) and keeps the
 *   socket open while no loop listens; the socket closes with the last descriptor.
 * - `SocketPool`: a few duplicates made ahead, so a loop can start accepting at once; refilled
 *   in the background, at most once per `refillIntervalMs` (each refill starts a process).
 */
import { spawn } from 'node:child_process';
import type net from 'node:net';

/** A libuv TCP handle as received over IPC: `server.listen(handle)` takes it. */
export interface SocketHandle {
  readonly fd: number;
  close(): void;
}

/**
 * The helper: wraps its descriptor 4 (the socket; never read, never polled) and sends it back
 * `n` times per message `n`; exits when the parent lets go.
 */
const HELPER =
  "const s=new (require('node:net').Socket)({fd:4,readable:false,writable:false});" +
  "process.on('message',(n)=>{for(let i=0;i<n;i++)process.send(i,s._handle);});" +
  "process.on('disconnect',()=>process.exit(0));";

export interface SharedSocket {
  /** The spare descriptor that `duplicateSocket` and `SocketPool` copy. */
  readonly sourceFd: number;
  /** Closes the spare (call once no loop will ask for a duplicate any more). */
  close(): void;
}

/** A spare descriptor of `server`'s listening socket (the server keeps listening). */
export async function shareListeningSocket(server: net.Server): Promise<SharedSocket> {
  const handle = (server as unknown as { _handle?: { fd?: number } })._handle;
  if (handle === undefined || typeof handle.fd !== 'number' || handle.fd < 0) throw new Error('the listening socket has no descriptor');
  const [spare] = (await duplicateSocket(handle.fd, 1)) as [SocketHandle];
  return {
    sourceFd: spare.fd,
    close: () => spare.close(),
  };
}

/** `count` new handles of the socket behind descriptor `sourceFd`, made by one helper process. */
export async function duplicateSocket(sourceFd: number, count: number): Promise<SocketHandle[]> {
  if (count === 0) return [];
  const helper = spawn(process.execPath, ['-e', HELPER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc', sourceFd], env: {} });
  const out: SocketHandle[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      helper.once('error', reject);
      helper.once('exit', (code) => reject(new Error(`socket duplication helper exited (${code}) after ${out.length} of ${count} descriptors`)));
      helper.on('message', (_m, received) => {
        const handle = received as SocketHandle | undefined;
        if (handle === undefined || typeof handle.fd !== 'number' || handle.fd < 0) {
          reject(new Error('socket duplication helper sent no descriptor'));
          return;
        }
        out.push(handle);
        if (out.length === count) resolve();
      });
      helper.send(count);
    });
    return out;
  } catch (err) {
    for (const handle of out) handle.close();
    throw err;
  } finally {
    if (helper.connected) helper.disconnect();
  }
}

export interface SocketPoolOptions {
  /** Handles kept ready; default 4. */
  size?: number;
  /** Least time between two refills; default 1000 ms. */
  refillIntervalMs?: number;
  /** A refill failed (the next `take()` tries again, after the interval). */
  onError?: (err: unknown) => void;
}

/** Duplicates made ahead of need, for one thread. */
export class SocketPool {
  private readonly handles: SocketHandle[] = [];
  private readonly size: number;
  private readonly intervalMs: number;
  private refilling = false;
  private lastRefill = Number.NEGATIVE_INFINITY;
  private closed = false;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly sourceFd: number,
    private readonly options: SocketPoolOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? 4);
    this.intervalMs = options.refillIntervalMs ?? 1000;
  }

  /** Handles ready now. */
  get available(): number {
    return this.handles.length;
  }

  /** Fills the pool now (start-up); rejects when the helper fails. */
  async fill(): Promise<void> {
    this.lastRefill = Date.now();
    const got = await duplicateSocket(this.sourceFd, this.size - this.handles.length);
    this.keep(got);
  }

  /** A handle, or undefined while none is ready (a refill is then on its way). Refills at half. */
  take(): SocketHandle | undefined {
    const handle = this.handles.shift();
    if (this.handles.length <= this.size / 2) this.refill();
    return handle;
  }

  /** Calls `ready` once a handle is available (now, or after the next refill). */
  whenAvailable(ready: () => void): void {
    if (this.handles.length > 0) ready();
    else {
      this.waiting.push(ready);
      this.refill();
    }
  }

  /** Closes the handles not taken; those of a refill still under way are closed on arrival. */
  close(): void {
    this.closed = true;
    this.waiting.length = 0;
    for (const handle of this.handles.splice(0)) handle.close();
  }

  private refill(): void {
    if (this.refilling || this.closed) return;
    this.refilling = true;
    const wait = Math.max(0, this.lastRefill + this.intervalMs - Date.now());
    setTimeout(() => {
      this.lastRefill = Date.now();
      duplicateSocket(this.sourceFd, this.size - this.handles.length)
        .then(
          (got) => this.keep(got),
          (err: unknown) => this.options.onError?.(err),
        )
        .finally(() => {
          this.refilling = false;
          // Someone still waits (the refill failed): try again after the interval.
          if (this.waiting.length > 0) this.refill();
        });
    }, wait).unref();
  }

  private keep(got: SocketHandle[]): void {
    if (this.closed) {
      for (const handle of got) handle.close();
      return;
    }
    this.handles.push(...got);
    for (const ready of this.waiting.splice(0)) ready();
  }
}
