// The Node 20 variant of front-end-sketch.mjs: N front-end *processes* (node:cluster, each with
// its own copy of the listening socket) run a fastify echo route and hand each request to the
// primary process over the cluster IPC channel (advanced serialization, one message per
// front-end turn); the primary hands them to one "model" worker thread (one message per turn)
// and routes the answers back the same way. A measurement, not nserve code. Prints "port <n>".
//
//   node bench/serving/front-end-process-sketch.mjs [frontEndProcesses=2]
import cluster from 'node:cluster';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { echoFrontEnd, relay } from './sketch-hand-off.mjs';

if (!isMainThread) {
  parentPort.on('message', (batch) => parentPort.postMessage(batch));
} else if (cluster.isPrimary) {
  const count = Number(process.argv[2] ?? 2);
  cluster.setupPrimary({ serialization: 'advanced', silent: false });
  const model = new Worker(new URL(import.meta.url));
  const fronts = [];
  const toModel = relay(model, (index, answers) => fronts[index].send(answers));
  const ports = [];
  await new Promise((ready) => {
    for (let i = 0; i < count; i++) {
      const w = cluster.fork({ SKETCH_FRONT: String(i) });
      w.on('message', (items) => {
        if (Array.isArray(items)) return toModel(items);
        ports.push(items.port);
        if (ports.length === count) ready();
      });
      fronts.push(w);
    }
  });
  process.stdout.write(`port ${ports[0]}\n`);
  process.on('SIGTERM', () => {
    for (const w of fronts) w.kill();
    process.exit(0);
  });
} else {
  const { app, receive } = echoFrontEnd(Number(process.env.SKETCH_FRONT), (items) => process.send(items));
  process.on('message', receive);
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send({ port: app.server.address().port });
}
