/**
 * One listening socket served by several event loops (src/front-end/shared-socket.ts): a spare
 * descriptor outlives the server it was taken from; duplicates are distinct descriptors of the
 * same socket, made in whichever thread asks (real worker threads here make their own through
 * a `SocketPool` and answer with their thread id); the survivors keep answering after one
 * thread closed its server and exited (on Node 20 a shared descriptor would abort the process
 * there); the port refuses connections once every duplicate and the spare are closed. The
 * pool hands out what it made ahead, refills itself no more often than asked, and waiters hear
 * of the refill.
 */
import http from 'node:http';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { duplicateSocket, shareListeningSocket, SocketPool, type SharedSocket, type SocketHandle } from '../../../src/front-end/shared-socket.js';

/** The compiled module (worker threads load JavaScript; `npm test` builds first). */
const COMPILED = new URL('../../../dist/front-end/shared-socket.js', import.meta.url).href;

/** A worker thread listening on a duplicate from its own pool; answers its threadId; 'close' closes and ends it. */
const SERVER = `
const { parentPort, threadId, workerData } = require('node:worker_threads');
const http = require('node:http');
import(workerData.compiled).then(async ({ SocketPool }) => {
  const pool = new SocketPool(workerData.sourceFd, { size: 2 });
  await pool.fill();
  const server = http.createServer((req, res) => res.end(String(threadId)));
  server.listen(pool.take(), () => parentPort.postMessage('listening'));
  parentPort.on('message', (m) => {
    if (m !== 'close') return;
    pool.close();
    server.close(() => parentPort.close());
    server.closeAllConnections();
  });
});
`;

interface Serving {
  worker: Worker;
  exited: Promise<number>;
}

const started: Worker[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const w of started.splice(0)) await w.terminate();
  for (const c of cleanups.splice(0)) c();
});

async function serve(sourceFd: number): Promise<Serving> {
  const worker = new Worker(SERVER, { eval: true, workerData: { sourceFd, compiled: COMPILED } });
  started.push(worker);
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before listening`)));
  });
  return { worker, exited };
}

async function stop(s: Serving): Promise<void> {
  s.worker.postMessage('close');
  expect(await s.exited).toBe(0);
}

/** GET / over a fresh connection; resolves with the body, rejects with the socket error. */
function get(port: number, timeoutMs = 5000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
  });
}

async function getMany(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  // Partly concurrent, so both threads have connections to accept.
  for (let i = 0; i < n; i += 4) out.push(...(await Promise.all([0, 1, 2, 3].map(() => get(port)))));
  return out;
}

/** A listening server on an ephemeral port and a spare of its socket (both cleaned up after the test). */
async function shared(): Promise<{ server: net.Server; port: number; socket: SharedSocket }> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const socket = await shareListeningSocket(server);
  let closed = false;
  cleanups.push(() => {
    if (!closed) socket.close();
    server.close();
  });
  const port = (server.address() as net.AddressInfo).port;
  return { server, port, socket: { sourceFd: socket.sourceFd, close: () => ((closed = true), socket.close()) } };
}

function answering(name: string, handle: SocketHandle): Promise<http.Server> {
  const server = http.createServer((req, res) => res.end(name));
  return new Promise((resolve) => server.listen(handle, () => resolve(server)));
}

const closeServer = (server: http.Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

describe('shareListeningSocket / duplicateSocket', () => {
  it('duplicates are distinct descriptors of one socket, which outlives its first server and closes with its last descriptor', async () => {
    const { server, port, socket } = await shared();
    const handles = await duplicateSocket(socket.sourceFd, 2);
    const fds = handles.map((h) => h.fd);
    expect(new Set([...fds, socket.sourceFd]).size).toBe(3);
    expect(await duplicateSocket(socket.sourceFd, 0)).toEqual([]);
    await new Promise<void>((resolve) => server.close(() => resolve()));

    const a = await answering('a', handles[0]!);
    expect(await get(port)).toBe('a');
    await closeServer(a);
    // Nobody accepts, but the spare keeps the socket: a connection waits until a loop listens again.
    const waiting = get(port);
    await new Promise((r) => setTimeout(r, 100));
    const b = await answering('b', handles[1]!);
    expect(await waiting).toBe('b');
    await closeServer(b);
    socket.close();
    await expect(get(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('two threads serve the port on duplicates they made; after one closes and exits the other answers every connection', async () => {
    const { server, port, socket } = await shared();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const a = await serve(socket.sourceFd);
    const b = await serve(socket.sourceFd);
    const ids = [String(a.worker.threadId), String(b.worker.threadId)];

    const before = await getMany(port, 24);
    expect(before).toHaveLength(24);
    for (const id of before) expect(ids).toContain(id);

    await stop(a);
    const after = await getMany(port, 24);
    expect(after).toEqual(new Array(24).fill(String(b.worker.threadId)));

    await stop(b);
    socket.close();
    await expect(get(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('SocketPool', () => {
  it('fill() makes `size` handles ahead; take() hands them out; an empty pool refills and tells its waiters', async () => {
    const { socket } = await shared();
    const pool = new SocketPool(socket.sourceFd, { size: 3, refillIntervalMs: 0 });
    cleanups.push(() => pool.close());
    await pool.fill();
    expect(pool.available).toBe(3);
    const taken = [pool.take(), pool.take(), pool.take()];
    expect(taken.every((h) => h !== undefined)).toBe(true);
    expect(new Set(taken.map((h) => h!.fd)).size).toBe(3);
    for (const h of taken) h!.close();
    expect(pool.take()).toBeUndefined();
    await new Promise<void>((resolve) => pool.whenAvailable(resolve));
    expect(pool.available).toBeGreaterThan(0);
    expect(pool.take()!.fd).toBeGreaterThan(2);
  });

  it('refills no sooner than refillIntervalMs after the last refill', async () => {
    const { socket } = await shared();
    const pool = new SocketPool(socket.sourceFd, { size: 1, refillIntervalMs: 400 });
    cleanups.push(() => pool.close());
    const fillStarted = Date.now();
    await pool.fill();
    pool.take()!.close();
    await new Promise<void>((resolve) => pool.whenAvailable(resolve));
    expect(Date.now() - fillStarted).toBeGreaterThanOrEqual(395);
  });

  it('close() closes what it holds and what a refill under way brings', async () => {
    const { port, server, socket } = await shared();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const pool = new SocketPool(socket.sourceFd, { size: 2, refillIntervalMs: 0 });
    await pool.fill();
    pool.take()!.close(); // at half: a refill starts
    pool.close();
    expect(pool.available).toBe(0);
    expect(pool.take()).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300)); // the refill lands, and is closed
    socket.close();
    // Nothing holds the socket any more.
    await expect(get(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
