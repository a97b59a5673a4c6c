/**
 * The inference listener served by several event loops (`number_of_netty_threads`): the main
 * thread's own inference server plus N front-end threads (front-end-thread.ts), all on one
 * socket. The main thread keeps the models, queues, workers, management, metrics and gRPC, and
 * runs the threads' requests through an `InferenceRelay` each.
 *
 * Why: with one event loop, HTTP parsing and writing for every request shares the loop with the
 * queues and the worker hand-off; the loop saturates while workers idle (README, Performance).
 * But a request through a front-end thread crosses two more thread hops than one served on the
 * main thread. So new connections are steered (steering.ts): the main thread accepts while it
 * holds fewer than `threshold` (`main_thread_connections`) connections, the front-end threads
 * from then on, until the server is nearly idle again. Each loop stops and resumes accepting
 * with a `ListenGate` on duplicates of the socket (shared-socket.ts). Connections stay where
 * they were accepted, except that the main thread's clients are asked to reconnect while the
 * threads accept (`onAcceptor`).
 *
 * - Start: takes a spare descriptor of the main server's socket, starts the threads (each makes
 *   its own duplicates ahead of need) and resolves once all are ready. When one fails, all are
 *   stopped and the main server is left accepting alone.
 * - A thread that dies is replaced (its requests are cancelled; its clients see their
 *   connection close), after a second, unless the listener is closing. With none running, the
 *   main thread accepts.
 * - `updateKey` copies a refreshed inference token to every thread.
 * - `collect()` gathers the response counts (Requests2XX/4XX/5XX) before a metrics scrape.
 * - `close(drainMs)`: the main server stops accepting (the caller closes it); every thread
 *   stops accepting and drains as the main listener does.
 */
import type net from 'node:net';
import { Worker } from 'node:worker_threads';
import type { TokenKey, TokenKind } from '../auth/token-auth.js';
import type { Logger } from '../cli/logger.js';
import type { InferenceApi } from '../inference/inference-api.js';
import { workerScriptUrl } from '../util/worker-script.js';
import type { CallMethod, FrontEndToMain, MainToFrontEnd } from './front-end-pack.js';
import type { FrontEndThreadData } from './front-end-thread.js';
import { InferenceRelay } from './inference-relay.js';
import { ListenGate } from './listen-gate.js';
import { shareListeningSocket, SocketPool } from './shared-socket.js';
import { idleConnections, nextAcceptor, type Acceptor } from './steering.js';
import { errorMessage } from '../util/error-message.js';

export interface FrontEndThreadsOptions {
  threads: number;
  /** The main thread's inference server, listening on the address the threads are to share. */
  main: net.Server;
  /** The main thread accepts until it holds this many connections (steering.ts; 0: never). */
  threshold: number;
  /**
   * Hears each change of acceptor. While the threads accept, the main server should answer with
   * `connection: close` (ConnectionDrain.releasing), so its clients reconnect to the threads and
   * the main thread is left with the queues and the hand-offs.
   */
  onAcceptor?: (acceptor: Acceptor) => void;
  /** Everything a thread needs but its socket and steering settings. */
  thread: Omit<FrontEndThreadData, 'sourceFd' | 'accept' | 'connectionsCap' | 'countsIntervalMs'> & { countsIntervalMs?: number };
  inference: InferenceApi;
  /** What the threads may call besides predictions (management, `/token`, `/metrics` on a shared listener). */
  calls?: Partial<Record<CallMethod, (...args: never[]) => unknown>>;
  /** Receives each response status the threads report (Requests2XX/4XX/5XX). */
  onResponseStatus?: (status: number) => void;
  logger: Pick<Logger, 'info' | 'warn' | 'error'> & { debug?: (line: string) => void };
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
  /** Who takes new connections now. */
  readonly acceptor: Acceptor;
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
  /** Its open connections as last reported (capped). */
  open: number;
  /** It said it accepts (since the last `accept`). */
  accepting: boolean;
  closed?: Promise<void>;
}

const COLLECT_TIMEOUT_MS = 1000;
/** The main thread accepts again if no front-end thread said it accepts within this time. */
const ACCEPT_FALLBACK_MS = 100;
/** How long the connection count must stay low before new connections go back to the main thread. */
const SETTLE_MS = 250;

export async function startFrontEndThreads(options: FrontEndThreadsOptions): Promise<FrontEndThreads> {
  const { logger, threshold } = options;
  const address = options.main.address();
  if (address === null || typeof address !== 'object') throw new Error('the main inference server must listen on a TCP address');
  const shared = await shareListeningSocket(options.main);
  const running = new Set<Running>();
  const collecting = new Map<number, Set<Running>>();
  const collected = new Map<number, () => void>();
  let collectId = 0;
  let closing = false;
  let keys = options.thread.auth?.keys;

  // Steering: the main server listens now; it accepts until the threads take over.
  let acceptor: Acceptor = 'main';
  const mainPool = new SocketPool(shared.sourceFd, { onError: (err) => logger.warn(`no spare inference socket descriptor: ${errorMessage(err)}`) });
  const mainGate = new ListenGate(options.main, mainPool, {
    onCount: () => steer(),
    onError: (err) => logger.error(`inference listener: ${err.message}`),
  });
  const broadcast = (message: MainToFrontEnd): void => {
    for (const { worker } of running) worker.postMessage(message);
  };
  let fallback: NodeJS.Timeout | undefined;
  let settling: NodeJS.Timeout | undefined;
  const steer = (settled = false): void => {
    if (closing) return;
    let threadsOpen = 0;
    for (const entry of running) threadsOpen += entry.open;
    const next = nextAcceptor(acceptor, { main: mainGate.open, threads: threadsOpen, running: running.size, threshold });
    if (next === acceptor) {
      clearTimeout(settling);
      settling = undefined;
      return;
    }
    if (next === 'main' && running.size > 0 && !settled) {
      // Back to the main thread only once it stays quiet for a moment: released clients
      // reconnecting (see onAcceptor) leave a short dip that is not idleness.
      settling ??= setTimeout(() => {
        settling = undefined;
        steer(true);
      }, SETTLE_MS).unref();
      return;
    }
    clearTimeout(settling);
    settling = undefined;
    acceptor = next;
    logger.debug?.(`inference: new connections go to ${next === 'main' ? 'the main thread' : 'the front-end threads'} (${mainGate.open} open on the main thread, ${threadsOpen} on the threads)`);
    options.onAcceptor?.(next);
    if (next === 'threads') {
      broadcast({ type: 'accept' });
      // Connections arriving meanwhile wait in the backlog for the threads (a burst would
      // otherwise land on the main thread until the first answer). Should none accept soon (no
      // spare descriptor yet), the main thread takes them until one does.
      mainGate.pause();
      clearTimeout(fallback);
      fallback = setTimeout(() => {
        if (acceptor === 'threads' && ![...running].some((entry) => entry.accepting)) mainGate.accept();
      }, ACCEPT_FALLBACK_MS).unref();
    } else {
      mainGate.accept(() => {
        if (acceptor !== 'main') return;
        for (const entry of running) entry.accepting = false;
        broadcast({ type: 'pause' });
      });
    }
  };

  const count = (flat: readonly number[]): void => {
    const onStatus = options.onResponseStatus;
    if (onStatus === undefined) return;
    for (let i = 0; i < flat.length; i += 2) for (let n = flat[i + 1]!; n > 0; n--) onStatus(flat[i]!);
  };

  const start = (): Promise<Running> => {
    const data: FrontEndThreadData = {
      ...options.thread,
      ...(options.thread.auth === undefined || keys === undefined ? {} : { auth: { ...options.thread.auth, keys } }),
      sourceFd: shared.sourceFd,
      accept: acceptor === 'threads',
      connectionsCap: idleConnections(threshold) + 1,
      countsIntervalMs: options.thread.countsIntervalMs ?? 1000,
    };
    const worker = new Worker(workerScriptUrl(import.meta.url, 'front-end-thread'), { workerData: data });
    const { threadId } = worker; // Worker.threadId reads -1 once the thread has ended
    const send = (message: MainToFrontEnd, transfer?: ArrayBuffer[]): void => worker.postMessage(message, transfer);
    const relay = new InferenceRelay(options.inference, (bytes) => send({ type: 'pack', bytes }, [bytes.buffer as ArrayBuffer]), options.calls);
    const entry: Running = { worker, relay, open: 0, accepting: false };
    return new Promise<Running>((resolve, reject) => {
      let ready = false;
      worker.on('message', (message: FrontEndToMain) => {
        switch (message.type) {
          case 'pack':
            relay.receive(message.bytes);
            break;
          case 'ready':
            ready = true;
            running.add(entry);
            resolve(entry);
            break;
          case 'accepting':
            entry.accepting = true;
            if (acceptor === 'threads') mainGate.pause();
            break;
          case 'connections':
            entry.open = message.open;
            steer();
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
        if (!ready) reject(err);
        else logger.error(`front-end thread ${threadId} failed: ${errorMessage(err)}`);
      });
      worker.on('exit', (code) => {
        relay.close();
        running.delete(entry);
        for (const [id, waiting] of collecting) if (waiting.delete(entry) && waiting.size === 0) collected.get(id)?.();
        if (!ready) {
          reject(new Error(`front-end thread exited (${code}) before it was ready`));
          return;
        }
        if (closing) return;
        steer(); // with none left, the main thread accepts again
        logger.error(`front-end thread ${threadId} exited (${code}); starting another`);
        setTimeout(() => void replace(), options.restartDelayMs ?? 1000).unref();
      });
    });
  };

  const replace = async (): Promise<void> => {
    if (closing) return;
    try {
      await start();
      steer();
    } catch (err) {
      logger.error(`could not start a front-end thread: ${errorMessage(err)}`);
    }
  };

  /** `keepMain`: the main server keeps accepting (start-up failed; it serves alone). */
  const stopAll = async (drainMs: number, keepMain = false): Promise<void> => {
    closing = true;
    clearTimeout(fallback);
    clearTimeout(settling);
    if (keepMain) mainPool.close();
    else mainGate.end();
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
    shared.close();
  };

  // Every start settles before a failure is acted on, so no thread is left starting unseen.
  const started = await Promise.allSettled([mainPool.fill(), ...Array.from({ length: options.threads }, () => start())]);
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) {
    await stopAll(0, true);
    throw failed.reason;
  }
  steer();

  return {
    port: address.port,
    get size() {
      return running.size;
    },
    get threadIds() {
      return [...running].map((r) => r.worker.threadId);
    },
    get acceptor() {
      return acceptor;
    },
    async terminate(threadId) {
      for (const r of running) if (r.worker.threadId === threadId) await r.worker.terminate();
    },
    updateKey(kind, next) {
      if (keys !== undefined) keys = { ...keys, [kind]: next };
      broadcast({ type: 'key', kind, key: next });
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

