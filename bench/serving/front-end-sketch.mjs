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
import { echoFrontEnd, relay } from './sketch-hand-off.mjs';

const role = isMainThread ? 'main' : workerData.role;

if (role === 'main') {
  const threads = Number(process.argv[2] ?? 2);
  const model = new Worker(new URL(import.meta.url), { workerData: { role: 'model' } });
  const fronts = [];
  const toModel = relay(model, (index, answers) => fronts[index].postMessage(answers));
  let listening;
  const ready = new Promise((r) => (listening = r));
  const startFront = (index, fd) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { role: 'front', fd, index } });
    w.on('message', (items) => (Array.isArray(items) ? toModel(items) : listening(items))); // { fd, port } from the first front end
    fronts.push(w);
  };
  startFront(0, undefined);
  const { fd, port } = await ready;
  for (let i = 1; i < threads; i++) startFront(i, fd);
  await new Promise((r) => setTimeout(r, 300));
  process.stdout.write(`port ${port}\n`);
  process.on('SIGTERM', () => process.exit(0));
} else if (role === 'model') {
  parentPort.on('message', (batch) => parentPort.postMessage(batch));
} else {
  const { app, receive } = echoFrontEnd(workerData.index, (items) => parentPort.postMessage(items));
  parentPort.on('message', receive);
  if (workerData.fd === undefined) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    parentPort.postMessage({ fd: app.server._handle.fd, port: app.server.address().port });
  } else await app.listen({ fd: workerData.fd });
}
