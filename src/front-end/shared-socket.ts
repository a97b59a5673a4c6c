/**
 * One listening TCP socket for several front-end threads, each with a descriptor of its own.
 *
 * Node 20 has neither `listen({ reusePort })` (22.12+) nor `dup()`. Threads can listen on one
 * shared descriptor, but when one of them closes it, the others' next accept aborts the process
 * in libuv. So every thread gets its own duplicate of the socket, made by the kernel when a
 * handle crosses an IPC channel (SCM_RIGHTS): a short-lived helper process hands each handle
 * straight back, and what returns is a new descriptor of the same socket. Closing one thread's
 * descriptor leaves the others listening; the socket closes with the last one. The kernel
 * spreads connections over the threads that wait in accept.
 *
 * The main thread keeps the handles it received (without polling them: they do not accept) so
 * their descriptors stay valid until a thread adopts them, plus one `spare` it never hands out,
 * the source of duplicates for a thread started later. Once a thread adopted a descriptor, the
 * thread owns it and closes it when it ends.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';

/** A raw libuv TCP handle as received over IPC (only its descriptor is used). */
interface RawHandle {
  fd: number;
  close?(): void;
}

/** The helper: sends every handle it receives straight back; exits when the parent lets go. */
const ECHO_HELPER = "process.on('message',(m,h)=>process.send(m,h));process.on('disconnect',()=>process.exit(0));";

export interface SharedSocket {
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** `count` fresh descriptors of the socket, one per thread. */
  duplicate(count: number): Promise<number[]>;
  /** Closes the spare descriptor (the threads close their own). */
  close(): void;
}

/** Binds `host:port` and keeps only a spare duplicate in this thread (the bound server is closed). */
export async function bindSharedSocket(host: string, port: number, backlog = 511): Promise<SharedSocket> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as net.AddressInfo).port;
  let spare: RawHandle;
  try {
    [spare] = await duplicates(serverHandle(server), 1) as [RawHandle];
  } finally {
    server.close();
  }
  const held: RawHandle[] = [];
  return {
    port: bound,
    async duplicate(count) {
      const handles = await duplicates(spare, count);
      held.push(...handles);
      return handles.map((h) => h.fd);
    },
    close() {
      spare.close?.();
    },
  };
}

function serverHandle(server: net.Server): RawHandle {
  const handle = (server as unknown as { _handle?: RawHandle })._handle;
  if (handle === undefined || typeof handle.fd !== 'number' || handle.fd < 0) throw new Error('the listening socket has no descriptor');
  return handle;
}

/** Sends `handle` through the echo helper `count` times; each answer is a new descriptor. */
async function duplicates(handle: RawHandle, count: number): Promise<RawHandle[]> {
  if (count === 0) return [];
  const helper = spawn(process.execPath, ['-e', ECHO_HELPER], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: {} });
  try {
    const out: RawHandle[] = [];
    for (let i = 0; i < count; i++) {
      out.push(
        await new Promise<RawHandle>((resolve, reject) => {
          const onExit = (code: number | null): void => reject(new Error(`socket duplication helper exited (${code})`));
          helper.once('exit', onExit);
          helper.once('error', reject);
          helper.once('message', (_m, received) => {
            helper.off('exit', onExit);
            helper.off('error', reject);
            const raw = received as RawHandle | undefined;
            if (raw === undefined || typeof raw.fd !== 'number' || raw.fd < 0) reject(new Error('socket duplication helper sent no descriptor'));
            else resolve(raw);
          });
          helper.send(i, handle as unknown as net.Server);
        }),
      );
    }
    return out;
  } finally {
    if (helper.connected) helper.disconnect();
  }
}
