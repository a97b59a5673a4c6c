/**
 * The inference listener served by several event loops (`number_of_netty_threads`): N front-end
 * threads (front-end-thread.ts) each accept connections on their own descriptor of one socket
 * and run the inference API; the main thread keeps the models, queues, workers, management,
 * metrics and gRPC, and runs the threads' requests through an `InferenceRelay` each.
 *
 * Why: with one event loop, HTTP parsing and writing for every request shares the loop with the
 * queues and the worker hand-off; the loop saturates while workers idle (README, Performance).
 *
 * - Start: binds the address, hands each thread a descriptor, resolves once all listen.
 * - A thread that dies is replaced (its requests are cancelled; its clients see their
 *   connection close), after a second, unless the listener is closing.
 * - `updateKey` copies a refreshed inference token to every thread.
 * - `collect()` gathers the response counts (Requests2XX/4XX/5XX) before a metrics scrape.
 * - `close(drainMs)`: every thread stops accepting and drains as the main listener does.
 */
import { Worker } from 'node:worker_threads';
import type { TokenKey, TokenKind } from '../auth/token-auth.js';
import type { Logger } from '../cli/logger.js';
import type { InferenceApi } from '../inference/inference-api.js';
import { workerScriptUrl } from '../util/worker-script.js';
import type { CallMethod, FrontEndToMain, MainToFrontEnd } from './front-end-pack.js';
import type { FrontEndThreadData } from './front-end-thread.js';
import { InferenceRelay } from './inference-relay.js';
import { bindSharedSocket } from './shared-socket.js';

export interface FrontEndThreadsOptions {
  threads: number;
  host: string;
  port: number;
  /** Everything a thread needs but its descriptor. */
  thread: Omit<FrontEndThreadData, 'fd' | 'countsIntervalMs'> & { countsIntervalMs?: number };
  inference: InferenceApi;
  /** What the threads may call besides predictions (management, `/token`, `/metrics` on a shared listener). */
  calls?: Partial<Record<CallMethod, (...args: never[]) => unknown>>;
  /** Receives each response status the threads report (Requests2XX/4XX/5XX). */
  onResponseStatus?: (status: number) => void;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Delay before a dead thread is replaced; default 1000 ms. */
  restartDelayMs?: number;
}

export interface FrontEndThreads {
  /** The bound port. */
  readonly port: number;
  /** Threads serving now. */
  readonly size: number;
  /** Their ids (diagnostics; a test ends one to see it replaced). */
  readonly threadIds: readonly number[];
  /** Ends one thread as a crash would (tests); it is replaced like any thread that dies. */
  terminate(threadId: number): Promise<void>;
  /** A token key was refreshed: every thread checks the new one from now on. */
  updateKey(kind: TokenKind, key: TokenKey): void;
  /** Resolves once every thread reported its counts (a thread that does not answer in 1 s is skipped). */
  collect(): Promise<void>;
  close(drainMs: number): Promise<void>;
}

interface Running {
  worker: Worker;
  relay: InferenceRelay;
  closed?: Promise<void>;
}

const COLLECT_TIMEOUT_MS = 1000;

export async function startFrontEndThreads(options: FrontEndThreadsOptions): Promise<FrontEndThreads> {
  const socket = await bindSharedSocket(options.host, options.port);
  const running = new Set<Running>();
  const collecting = new Map<number, Set<Running>>();
  const collected = new Map<number, () => void>();
  let collectId = 0;
  let closing = false;
  let keys = options.thread.auth?.keys;

  const count = (flat: readonly number[]): void => {
    const onStatus = options.onResponseStatus;
    if (onStatus === undefined) return;
    for (let i = 0; i < flat.length; i += 2) for (let n = flat[i + 1]!; n > 0; n--) onStatus(flat[i]!);
  };

  const start = (fd: number): Promise<Running> => {
    const data: FrontEndThreadData = {
      ...options.thread,
      ...(options.thread.auth === undefined || keys === undefined ? {} : { auth: { ...options.thread.auth, keys } }),
      fd,
      countsIntervalMs: options.thread.countsIntervalMs ?? 1000,
    };
    const worker = new Worker(workerScriptUrl(import.meta.url, 'front-end-thread'), { workerData: data });
    const { threadId } = worker; // Worker.threadId reads -1 once the thread has ended
    const send = (message: MainToFrontEnd, transfer?: ArrayBuffer[]): void => worker.postMessage(message, transfer);
    const relay = new InferenceRelay(options.inference, (bytes) => send({ type: 'pack', bytes }, [bytes.buffer as ArrayBuffer]), options.calls);
    const entry: Running = { worker, relay };
    return new Promise<Running>((resolve, reject) => {
      let listening = false;
      worker.on('message', (message: FrontEndToMain) => {
        switch (message.type) {
          case 'pack':
            relay.receive(message.bytes);
            break;
          case 'listening':
            listening = true;
            running.add(entry);
            resolve(entry);
            break;
          case 'counts': {
            count(message.counts);
            const waiting = collecting.get(message.id);
            if (waiting?.delete(entry) === true && waiting.size === 0) collected.get(message.id)?.();
            break;
          }
        }
      });
      worker.on('error', (err: unknown) => {
        if (!listening) reject(err);
        else options.logger.error(`front-end thread ${threadId} failed: ${err instanceof Error ? err.message : String(err)}`);
      });
      worker.on('exit', (code) => {
        relay.close();
        running.delete(entry);
        for (const [id, waiting] of collecting) if (waiting.delete(entry) && waiting.size === 0) collected.get(id)?.();
        if (!listening) {
          reject(new Error(`front-end thread exited (${code}) before it listened`));
          return;
        }
        if (closing) return;
        options.logger.error(`front-end thread ${threadId} exited (${code}); starting another`);
        setTimeout(() => void replace(), options.restartDelayMs ?? 1000).unref();
      });
    });
  };

  const replace = async (): Promise<void> => {
    if (closing) return;
    try {
      const [fd] = await socket.duplicate(1);
      if (!closing) await start(fd!);
    } catch (err) {
      options.logger.error(`could not start a front-end thread: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const stopAll = async (drainMs: number): Promise<void> => {
    closing = true;
    await Promise.all(
      [...running].map(
        (entry) =>
          (entry.closed ??= new Promise<void>((resolve) => {
            entry.worker.once('exit', () => resolve());
            entry.worker.postMessage({ type: 'close', drainMs } satisfies MainToFrontEnd);
            // A thread that does not end after its drain is stopped.
            setTimeout(() => void entry.worker.terminate(), drainMs + 2000).unref();
          })),
      ),
    );
    socket.close();
  };

  try {
    const fds = await socket.duplicate(options.threads);
    await Promise.all(fds.map((fd) => start(fd)));
  } catch (err) {
    await stopAll(0);
    throw err;
  }

  return {
    port: socket.port,
    get size() {
      return running.size;
    },
    get threadIds() {
      return [...running].map((r) => r.worker.threadId);
    },
    async terminate(threadId) {
      for (const r of running) if (r.worker.threadId === threadId) await r.worker.terminate();
    },
    updateKey(kind, next) {
      if (keys !== undefined) keys = { ...keys, [kind]: next };
      for (const { worker } of running) worker.postMessage({ type: 'key', kind, key: next } satisfies MainToFrontEnd);
    },
    collect() {
      if (running.size === 0) return Promise.resolve();
      const id = ++collectId;
      const waiting = new Set(running);
      collecting.set(id, waiting);
      return new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          collecting.delete(id);
          collected.delete(id);
          resolve();
        };
        const timer = setTimeout(done, COLLECT_TIMEOUT_MS);
        collected.set(id, done);
        for (const { worker } of waiting) worker.postMessage({ type: 'collect', id } satisfies MainToFrontEnd);
      });
    },
    close: (drainMs) => stopAll(drainMs),
  };
}

