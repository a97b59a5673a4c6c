// The pieces both front-end sketches share (front-end-sketch.mjs: threads,
// front-end-process-sketch.mjs: processes): the front end's echo route that hands requests on,
// and the main side's relay to the model thread and back. Every hop sends what one event-loop
// turn collected as one message.
import Fastify from 'fastify';

/** Collects items and sends them with `send` once per event-loop turn. */
function perTurn(send) {
  let items = [];
  return (item) => {
    items.push(item);
    if (items.length === 1)
      setImmediate(() => {
        const batch = items;
        items = [];
        send(batch);
      });
  };
}

/**
 * The front end's fastify app: `POST /predictions/echo` hands `{ id, front, body }` to `send`
 * (batched per turn); `receive(answers)` replies to the requests answered. Not listening yet.
 */
export function echoFrontEnd(front, send) {
  const app = Fastify({ logger: false });
  const pending = new Map();
  const post = perTurn(send);
  let next = 0;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post('/predictions/echo', (request, reply) => {
    const id = next++;
    pending.set(id, reply);
    post({ id, front, body: request.body });
  });
  const receive = (answers) => {
    for (const a of answers) {
      const reply = pending.get(a.id);
      pending.delete(a.id);
      reply.header('content-type', 'application/json').send(Buffer.from(a.body));
    }
  };
  return { app, receive };
}

/**
 * The main side: `toModel(items)` relays front-end items to the `model` worker thread; its
 * answers go back to front end `a.front` through `sendToFront(index, answers)`.
 */
export function relay(model, sendToFront) {
  const toModelOne = perTurn((batch) => model.postMessage(batch));
  const back = new Map();
  const flushBack = () => {
    for (const [front, answers] of back) sendToFront(front, answers);
    back.clear();
  };
  model.on('message', (answers) => {
    if (back.size === 0) setImmediate(flushBack);
    for (const a of answers) {
      const list = back.get(a.front);
      if (list === undefined) back.set(a.front, [a]);
      else list.push(a);
    }
  });
  return (items) => {
    for (const it of items) toModelOne(it);
  };
}
