/**
 * `ListenGate` (src/front-end/listen-gate.ts) on a real HTTP server and socket: pausing stops
 * new connections only (a keep-alive connection keeps being answered, a new one waits in the
 * backlog and is answered once a loop accepts again), the open-connection count follows the
 * clients, an accept with an empty pool listens once the refill lands, and a pause meanwhile
 * wins.
 */
import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ListenGate } from '../../../src/front-end/listen-gate.js';
import { shareListeningSocket, SocketPool } from '../../../src/front-end/shared-socket.js';
import { waitUntil } from '../../helpers/http.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(poolOptions: { size?: number; refillIntervalMs?: number } = {}) {
  const server = http.createServer({ keepAlive: true }, (req, res) => res.end(`ok ${req.url}`));
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  const socket = await shareListeningSocket(server);
  const pool = new SocketPool(socket.sourceFd, { refillIntervalMs: 0, ...poolOptions });
  await pool.fill();
  const counts: number[] = [];
  const gate = new ListenGate(server, pool, { onCount: (open) => counts.push(open) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(
    () => socket.close(),
    () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
    () => gate.end(),
    () => agent.destroy(),
  );
  return { server, port, gate, counts, agent, pool };
}

function get(port: number, path: string, agent: http.Agent | false): Promise<{ body: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      const localPort = res.socket.localPort!;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ body, localPort }));
    });
    req.on('error', reject);
  });
}

/** Resolves 'pending' if `promise` has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> => Promise.race([promise, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

describe('ListenGate', () => {
  it('pause() stops new connections only; accept() serves the ones that waited; counts follow the clients', async () => {
    const { port, gate, counts, agent, server } = await setUp();
    const first = await get(port, '/a', agent);
    expect(first.body).toBe('ok /a');
    expect(gate.open).toBe(1);
    expect(counts).toEqual([1]);

    gate.pause();
    expect(gate.accepting).toBe(false);
    expect(server.listening).toBe(false);
    // The keep-alive connection is served on, on the same socket.
    const again = await get(port, '/b', agent);
    expect(again).toEqual({ body: 'ok /b', localPort: first.localPort });

    const waiting = get(port, '/c', false);
    expect(await within(waiting, 200)).toBe('pending');
    const accepted = new Promise<void>((resolve) => gate.accept(resolve));
    await accepted;
    expect(gate.accepting).toBe(true);
    expect((await waiting).body).toBe('ok /c');

    agent.destroy();
    await waitUntil(() => (gate.open === 0 ? true : undefined), 'connections closed');
    expect(counts.at(-1)).toBe(0);
    expect(Math.max(...counts)).toBe(2);
  });

  it('accept() with an empty pool listens once the refill lands; a pause meanwhile wins', async () => {
    const { port, gate, pool } = await setUp({ size: 1, refillIntervalMs: 300 });
    gate.pause();
    gate.accept(); // takes the only handle; the refill waits for the interval
    expect(gate.accepting).toBe(true);
    gate.pause();
    expect(pool.available).toBe(0);
    let told = false;
    gate.accept(() => (told = true)); // nothing to listen on yet
    expect(gate.accepting).toBe(false);
    const waiting = get(port, '/late', false);
    expect(await within(waiting, 100)).toBe('pending');
    await waitUntil(() => (gate.accepting ? true : undefined), 'the refill and the listen');
    expect((await waiting).body).toBe('ok /late');
    expect(told).toBe(true);

    // Paused while the next refill is on its way: it does not listen when the refill lands.
    gate.pause();
    gate.accept();
    gate.accept();
    gate.pause();
    await new Promise((r) => setTimeout(r, 500));
    expect(gate.accepting).toBe(false);
  });

  it('end() stops accepting for good: accept() is ignored', async () => {
    const { gate } = await setUp();
    gate.end();
    gate.accept();
    expect(gate.accepting).toBe(false);
  });
});
