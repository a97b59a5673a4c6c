// The Node 20 variant of front-end-sketch.mjs: N front-end *processes* (node:cluster, each with
// its own copy of the listening socket) run a fastify echo route and hand each request to the
// primary process over the cluster IPC channel (advanced serialization, one message per
// front-end turn); the primary hands them to one "model" worker thread (one message per turn)
// and routes the answers back the same way. A measurement, not nserve code. Prints "port <n>".
//
//   node bench/serving/front-end-process-sketch.mjs [frontEndProcesses=2]
import cluster from 'node:cluster';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import Fastify from 'fastify';

if (!isMainThread) {
  parentPort.on('message', (batch) => parentPort.postMessage(batch));
} else if (cluster.isPrimary) {
  const count = Number(process.argv[2] ?? 2);
  cluster.setupPrimary({ serialization: 'advanced', silent: false });
  const model = new Worker(new URL(import.meta.url));
  const fronts = [];
  let toModel = [];
  const flushModel = () => {
    const batch = toModel;
    toModel = [];
    model.postMessage(batch);
  };
  let back = [];
  let scheduled = false;
  const flushBack = () => {
    scheduled = false;
    back.forEach((items, i) => {
      if (items.length > 0) fronts[i].send(items);
    });
    back = fronts.map(() => []);
  };
  model.on('message', (answers) => {
    for (const a of answers) back[a.front].push(a);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushBack);
    }
  });
  const ports = [];
  await new Promise((ready) => {
    for (let i = 0; i < count; i++) {
      const w = cluster.fork({ SKETCH_FRONT: String(i) });
      w.on('message', (items) => {
        if (!Array.isArray(items)) {
          ports.push(items.port);
          if (ports.length === count) ready();
          return;
        }
        for (const it of items) toModel.push(it);
        if (toModel.length === items.length) setImmediate(flushModel);
      });
      fronts.push(w);
    }
  });
  back = fronts.map(() => []);
  process.stdout.write(`port ${ports[0]}\n`);
  process.on('SIGTERM', () => {
    for (const w of fronts) w.kill();
    process.exit(0);
  });
} else {
  const front = Number(process.env.SKETCH_FRONT);
  const app = Fastify({ logger: false });
  const pending = new Map();
  let next = 0;
  let out = [];
  const flush = () => {
    const items = out;
    out = [];
    process.send(items);
  };
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/predictions/echo', (request, reply) => {
    const id = next++;
    pending.set(id, reply);
    out.push({ id, front, body: request.body });
    if (out.length === 1) setImmediate(flush);
  });
  process.on('message', (answers) => {
    for (const a of answers) {
      const reply = pending.get(a.id);
      pending.delete(a.id);
      reply.header('content-type', 'application/json').send(Buffer.from(a.body));
    }
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send({ port: app.server.address().port });
}
