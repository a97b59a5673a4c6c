// A measurement sketch for the "several inference event loops" design in ARCHITECTURE.md, not
// nserve code: N front-end threads run a fastify echo route on one shared listening socket
// (the first one listens, the others listen on its socket descriptor; the main thread does no
// HTTP), hand each request to the
// main thread (one message per front-end turn), the main thread hands them to one "model"
// worker thread (one message per main turn) and routes the answers back the same way. It shows
// what the hand-offs cost when HTTP work is spread over threads. Prints "port <n>" when ready.
// The threads share one listening descriptor, which is safe only while none of them ends before
// the process does (see ARCHITECTURE.md): fine for a measurement, not for a server.
//
//   node bench/serving/front-end-sketch.mjs [frontEndThreads=2]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import Fastify from 'fastify';

const role = isMainThread ? 'main' : workerData.role;

if (role === 'main') {
  const threads = Number(process.argv[2] ?? 2);
  const model = new Worker(new URL(import.meta.url), { workerData: { role: 'model' } });
  const fronts = [];
  let toModel = [];
  const flushModel = () => {
    const batch = toModel;
    toModel = [];
    model.postMessage(batch);
  };
  let listening;
  const ready = new Promise((r) => (listening = r));
  const startFront = (index, fd) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { role: 'front', fd, index } });
    w.on('message', (items) => {
      if (!Array.isArray(items)) return listening(items); // { fd, port } from the first front end
      for (const it of items) toModel.push(it);
      if (toModel.length === items.length) setImmediate(flushModel);
    });
    fronts.push(w);
  };
  startFront(0, undefined);
  const { fd, port } = await ready;
  for (let i = 1; i < threads; i++) startFront(i, fd);
  const back = fronts.map(() => []);
  let scheduled = false;
  const flushBack = () => {
    scheduled = false;
    back.forEach((items, i) => {
      if (items.length === 0) return;
      back[i] = [];
      fronts[i].postMessage(items);
    });
  };
  model.on('message', (answers) => {
    for (const a of answers) back[a.front].push(a);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushBack);
    }
  });
  await new Promise((r) => setTimeout(r, 300));
  process.stdout.write(`port ${port}\n`);
  process.on('SIGTERM', () => process.exit(0));
} else if (role === 'model') {
  parentPort.on('message', (batch) => parentPort.postMessage(batch.map((it) => ({ id: it.id, front: it.front, body: it.body }))));
} else {
  const app = Fastify({ logger: false });
  const pending = new Map();
  let next = 0;
  let out = [];
  const flush = () => {
    const items = out;
    out = [];
    parentPort.postMessage(items);
  };
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/predictions/echo', (request, reply) => {
    const id = next++;
    pending.set(id, reply);
    out.push({ id, front: workerData.index, body: request.body });
    if (out.length === 1) setImmediate(flush);
  });
  parentPort.on('message', (answers) => {
    for (const a of answers) {
      const reply = pending.get(a.id);
      pending.delete(a.id);
      reply.header('content-type', 'application/json').send(Buffer.from(a.body));
    }
  });
  if (workerData.fd === undefined) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    parentPort.postMessage({ fd: app.server._handle.fd, port: app.server.address().port });
  } else await app.listen({ fd: workerData.fd });
}
