/**
 * One listening socket served by several threads (src/front-end/shared-socket.ts): each real
 * worker thread listens on its own duplicated descriptor and answers with its thread id; all
 * connections are answered, the survivors keep answering after one thread closed its server
 * and exited (on Node 20 a shared descriptor would abort the process there), and the port is
 * free once every thread and the spare are closed. Binding a port in use fails.
 */
import http from 'node:http';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { bindSharedSocket, type SharedSocket } from '../../../src/front-end/shared-socket.js';

/** A worker thread serving HTTP on descriptor `workerData.fd`; answers its threadId; 'close' closes and ends it. */
const SERVER = `
const { parentPort, threadId, workerData } = require('node:worker_threads');
const http = require('node:http');
const server = http.createServer((req, res) => res.end(String(threadId)));
server.listen({ fd: workerData.fd }, () => parentPort.postMessage('listening'));
server.on('error', (err) => { throw err; });
parentPort.on('message', (m) => {
  if (m !== 'close') return;
  server.close(() => parentPort.close());
  server.closeAllConnections();
});
`;

interface Serving {
  worker: Worker;
  exited: Promise<number>;
}

const started: Worker[] = [];
const sockets: SharedSocket[] = [];

async function serve(fd: number): Promise<Serving> {
  const worker = new Worker(SERVER, { eval: true, workerData: { fd } });
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
function get(port: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
  });
}

async function getMany(port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  // Partly concurrent, so both threads have connections to accept.
  for (let i = 0; i < n; i += 4) out.push(...(await Promise.all([0, 1, 2, 3].map(() => get(port)))));
  return out;
}

afterEach(async () => {
  for (const w of started.splice(0)) await w.terminate();
  for (const s of sockets.splice(0)) s.close();
});

async function bind(host: string, port: number): Promise<SharedSocket> {
  const socket = await bindSharedSocket(host, port);
  sockets.push(socket);
  return socket;
}

describe('bindSharedSocket', () => {
  it('binds an ephemeral port and hands out distinct descriptors, now and later', async () => {
    const socket = await bind('127.0.0.1', 0);
    expect(socket.port).toBeGreaterThan(0);
    const fds = await socket.duplicate(2);
    expect(fds).toHaveLength(2);
    expect(new Set(fds).size).toBe(2);
    for (const fd of fds) expect(fd).toBeGreaterThan(2);
    const later = await socket.duplicate(1);
    expect(fds).not.toContain(later[0]);
    expect(await socket.duplicate(0)).toEqual([]);
  });

  it('two threads serve the port; after one closes and exits the other answers every connection; after both and close() the port refuses', async () => {
    const socket = await bind('127.0.0.1', 0);
    const [fdA, fdB] = (await socket.duplicate(2)) as [number, number];
    const a = await serve(fdA);
    const b = await serve(fdB);
    const ids = [String(a.worker.threadId), String(b.worker.threadId)];

    const before = await getMany(socket.port, 24);
    expect(before).toHaveLength(24);
    for (const id of before) expect(ids).toContain(id);

    await stop(a);
    const after = await getMany(socket.port, 24);
    expect(after).toEqual(new Array(24).fill(String(b.worker.threadId)));

    await stop(b);
    socket.close();
    sockets.splice(sockets.indexOf(socket), 1);
    await expect(get(socket.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('a thread started later on a fresh duplicate serves alongside the first', async () => {
    const socket = await bind('127.0.0.1', 0);
    const first = await serve((await socket.duplicate(1))[0]!);
    await stop(first);
    // The spare still holds the socket: a thread started now serves the same port.
    const second = await serve((await socket.duplicate(1))[0]!);
    expect(await getMany(socket.port, 8)).toEqual(new Array(8).fill(String(second.worker.threadId)));
  });

  it('binding a port already in use rejects with EADDRINUSE', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      await expect(bindSharedSocket('127.0.0.1', port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
    // The shared socket holds its port too, even with no thread serving it.
    const socket = await bind('127.0.0.1', 0);
    await expect(bindSharedSocket('127.0.0.1', socket.port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});
