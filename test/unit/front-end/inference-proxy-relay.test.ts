/**
 * A front-end thread's `InferenceProxy` (src/front-end/inference-proxy.ts) talking to the main
 * thread's `InferenceRelay` (src/front-end/inference-relay.ts), wired back to back in one thread
 * over a fake `InferenceApi`: what a caller of the proxy sees for full bodies, rejections,
 * streams (ending, failing, abandoned), cancellation, the status calls, `failAll` and
 * `relay.close()`, and what reaches the real API behind the relay.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  CancelledError,
  InvalidInputError,
  ModelNotFoundError,
  PredictionError,
  ServeError,
} from '../../../src/errors/index.js';
import { InferenceProxy } from '../../../src/front-end/inference-proxy.js';
import { InferenceRelay } from '../../../src/front-end/inference-relay.js';
import type { InferenceApi, ModelStatus } from '../../../src/inference/inference-api.js';
import type { InferenceRequest, InferenceResult, PredictOptions } from '../../../src/inference/types.js';

const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array(0)).toString('utf8');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

function request(body: string, over: Partial<InferenceRequest> = {}): InferenceRequest {
  return {
    requestId: `req-${body}`,
    headers: { 'content-type': 'text/plain', 'x-user': 'Zoë ☃' },
    parameters: [{ name: 'body', contentType: 'text/plain', value: utf8(body) }],
    ...over,
  };
}

async function collect(stream: AsyncIterable<Uint8Array> | undefined): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of stream!) out.push(text(chunk));
  return out;
}

const STATUS: ModelStatus = { name: 'mnist', version: '1.0', versions: ['1.0', '2.0'], ready: true, workers: 2, handler: 'onnx' };

/**
 * The main thread's inference service, played by models named for what they do. Records what
 * reached it: requests, cancels, and the streams that were finalized.
 */
class FakeApi implements InferenceApi {
  readonly seen: { model: string; version: string | undefined; request: InferenceRequest; explain: boolean | undefined }[] = [];
  /** requestIds whose cancel function was called. */
  readonly cancelled: string[] = [];
  /** requestIds whose stream generator ran its `finally`. */
  readonly finalized: string[] = [];
  /** Chunks the endless streams produced, by requestId. */
  readonly produced = new Map<string, number>();

  async predict(model: string, version: string | undefined, request: InferenceRequest, options: PredictOptions = {}): Promise<InferenceResult> {
    // Copy what the relay handed over: its payloads are views into the pack.
    this.seen.push({ model, version, request: { ...request, parameters: request.parameters.map((p) => ({ ...p, value: Uint8Array.from(p.value) })) }, explain: options.explain });
    const body = request.parameters.map((p) => text(p.value)).join('|');
    const id = request.requestId;
    switch (model) {
      case 'echo':
        return { status: 201, headers: { 'x-version': version ?? 'default' }, contentType: 'text/plain', body: utf8(`echo:${body}`) };
      case 'plain':
        return { status: 200, headers: {} }; // no content type, no body
      case 'missing':
        throw new ModelNotFoundError(model);
      case 'teapot':
        throw new PredictionError('handler refused', { status: 418 });
      case 'broken':
        throw new Error('something internal');
      case 'slow':
        // Never answers by itself: only a cancel settles it, as a queued job would be dropped.
        return new Promise<InferenceResult>((_resolve, reject) => {
          options.onCancel?.(() => {
            this.cancelled.push(id);
            reject(new CancelledError());
          });
        });
      case 'stream':
        return { status: 200, headers: { 'x-stream': '1' }, contentType: 'text/event-stream', stream: this.chunks(id, body.split(',')) };
      case 'stream-fail':
        return { status: 200, headers: {}, stream: this.failing(id) };
      case 'endless':
        return { status: 200, headers: {}, stream: this.endless(id) };
      default:
        throw new Error(`fake: no model ${model}`);
    }
  }

  private async *chunks(id: string, parts: string[]): AsyncGenerator<Uint8Array> {
    try {
      for (const part of parts) {
        await sleep(1);
        yield utf8(part);
      }
    } finally {
      this.finalized.push(id);
    }
  }

  private async *failing(id: string): AsyncGenerator<Uint8Array> {
    try {
      yield utf8('first');
      await sleep(1);
      yield utf8('second');
      await sleep(1);
      throw new InvalidInputError('bad token in the middle');
    } finally {
      this.finalized.push(id);
    }
  }

  private async *endless(id: string): AsyncGenerator<Uint8Array> {
    try {
      for (let i = 0; ; i++) {
        await sleep(2);
        this.produced.set(id, i + 1);
        yield utf8(`c${i}`);
      }
    } finally {
      this.finalized.push(id);
    }
  }

  health(): { healthy: boolean } {
    return { healthy: true }; // synchronous, as the in-process service answers
  }

  modelStatus(model: string, version?: string): ModelStatus {
    if (model !== 'mnist') throw new ModelNotFoundError(model); // thrown synchronously
    return { ...STATUS, version: version ?? STATUS.version };
  }

  async modelNames(): Promise<string[]> {
    return ['mnist', 'resnet-18'];
  }
}

interface Pair {
  api: FakeApi;
  proxy: InferenceProxy;
  relay: InferenceRelay;
  /** Packs posted each way. */
  toMain: number;
  toFrontEnd: number;
}

const opened: Pair[] = [];

function pair(): Pair {
  const api = new FakeApi();
  const p = { api, toMain: 0, toFrontEnd: 0 } as Pair;
  p.proxy = new InferenceProxy((bytes) => {
    p.toMain++;
    p.relay.receive(bytes);
  });
  p.relay = new InferenceRelay(api, (bytes) => {
    p.toFrontEnd++;
    p.proxy.receive(bytes);
  });
  opened.push(p);
  return p;
}

afterEach(() => {
  // Stop whatever a failed test left streaming.
  for (const p of opened.splice(0)) {
    p.relay.close();
    p.proxy.failAll(new Error('test over'));
  }
});

describe('InferenceProxy over InferenceRelay: predictions', () => {
  it('resolves with the status, headers, content type and body the API answered, for the model and version asked', async () => {
    const { proxy, api } = pair();
    const result = await proxy.predict('echo', '2.0', request('hello'));
    expect({ ...result, body: text(result.body) }).toEqual({ status: 201, headers: { 'x-version': '2.0' }, contentType: 'text/plain', body: 'echo:hello' });
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]!.model).toBe('echo');
    expect(api.seen[0]!.version).toBe('2.0');
    expect(api.seen[0]!.request).toEqual(request('hello'));
    const none = await proxy.predict('plain', undefined, request('x'));
    expect(none.status).toBe(200);
    expect(none.contentType).toBeUndefined();
    expect(text(none.body)).toBe('');
    expect(api.seen[1]!.version).toBeUndefined();
  });

  it('passes explain from the option, else from the explain header', async () => {
    const { proxy, api } = pair();
    await proxy.predict('echo', undefined, request('a'), { explain: true });
    await proxy.predict('echo', undefined, request('b', { headers: { explain: 'True' } }));
    await proxy.predict('echo', undefined, request('c', { headers: { explain: 'False' } }));
    await proxy.predict('echo', undefined, request('d', { headers: { explain: 'True' } }), { explain: false });
    expect(api.seen.map((s) => s.explain)).toEqual([true, true, false, false]);
  });

  it('requests made in one turn travel in one pack each way and each gets its own answer', async () => {
    const p = pair();
    const bodies = ['a', 'b', 'c', 'd', 'e'];
    const results = await Promise.all(bodies.map((b) => p.proxy.predict('echo', undefined, request(b))));
    expect(results.map((r) => text(r.body))).toEqual(bodies.map((b) => `echo:${b}`));
    expect(p.toMain).toBe(1);
    expect(p.toFrontEnd).toBe(1);
    expect(p.proxy.pending).toBe(0);
    expect(p.relay.inFlight).toBe(0);
  });

  it('a rejection arrives as a ServeError of the same kind, code, type, status and message', async () => {
    const { proxy } = pair();
    const missing = proxy.predict('missing', undefined, request('x'));
    await expect(missing).rejects.toBeInstanceOf(ServeError);
    await expect(missing).rejects.toMatchObject({ kind: 'NOT_FOUND', code: 'NSERVE_MODEL_NOT_FOUND', tsType: 'ModelNotFoundException', message: 'Model not found: missing' });
    await expect(proxy.predict('teapot', undefined, request('x'))).rejects.toMatchObject({ kind: 'PREDICTION_FAILED', status: 418, message: 'handler refused' });
    // A plain Error becomes an internal error with its message.
    await expect(proxy.predict('broken', undefined, request('x'))).rejects.toMatchObject({ kind: 'INTERNAL', message: 'something internal' });
    expect(proxy.pending).toBe(0);
  });
});

describe('InferenceProxy over InferenceRelay: streams', () => {
  it('a streamed result resolves with its head, then yields its chunks in order and ends', async () => {
    const { proxy, relay, api } = pair();
    const result = await proxy.predict('stream', undefined, request('one,two,three,four'));
    expect(result.status).toBe(200);
    expect(result.headers).toEqual({ 'x-stream': '1' });
    expect(result.contentType).toBe('text/event-stream');
    expect(result.body).toBeUndefined();
    expect(await collect(result.stream)).toEqual(['one', 'two', 'three', 'four']);
    expect(api.finalized).toEqual(['req-one,two,three,four']);
    expect(proxy.pending).toBe(0);
    expect(relay.inFlight).toBe(0);
  });

  it('a stream that fails mid-way yields what came before, then throws the error to the consumer', async () => {
    const { proxy, relay } = pair();
    const result = await proxy.predict('stream-fail', undefined, request('x'));
    const got: string[] = [];
    const consume = async () => {
      for await (const chunk of result.stream!) got.push(text(chunk));
    };
    await expect(consume()).rejects.toMatchObject({ kind: 'INVALID_ARGUMENT', message: 'bad token in the middle' });
    expect(got).toEqual(['first', 'second']);
    expect(proxy.pending).toBe(0);
    expect(relay.inFlight).toBe(0);
  });

  it('a consumer that stops early makes the relay stop pulling: the stream is finalized and no more is produced', async () => {
    const { proxy, relay, api } = pair();
    const result = await proxy.predict('endless', undefined, request('x'));
    const got: string[] = [];
    for await (const chunk of result.stream!) {
      got.push(text(chunk));
      if (got.length === 3) break;
    }
    expect(got).toEqual(['c0', 'c1', 'c2']);
    await vi.waitFor(() => expect(api.finalized).toEqual(['req-x']), { timeout: 2000, interval: 5 });
    await vi.waitFor(() => expect(relay.inFlight).toBe(0), { timeout: 2000, interval: 5 });
    expect(proxy.pending).toBe(0);
    const produced = api.produced.get('req-x');
    await sleep(30);
    expect(api.produced.get('req-x')).toBe(produced);
  });
});

describe('InferenceProxy over InferenceRelay: cancellation', () => {
  it("onCancel's cancel function reaches the API's cancel, and the caller sees the cancellation", async () => {
    const { proxy, relay, api } = pair();
    let cancel: (() => void) | undefined;
    const result = proxy.predict('slow', undefined, request('x'), { onCancel: (c) => (cancel = c) });
    expect(cancel).toBeTypeOf('function');
    await turns(3);
    expect(relay.inFlight).toBe(1);
    expect(api.cancelled).toEqual([]);
    cancel!();
    await expect(result).rejects.toMatchObject({ kind: 'CANCELLED' });
    expect(api.cancelled).toEqual(['req-x']);
    expect(relay.inFlight).toBe(0);
    expect(proxy.pending).toBe(0);
  });

  it('cancel in the same turn as the request still reaches the API (the cancel follows the request)', async () => {
    const { proxy, api } = pair();
    const result = proxy.predict('slow', undefined, request('x'), { onCancel: (c) => c() });
    await expect(result).rejects.toMatchObject({ kind: 'CANCELLED' });
    expect(api.cancelled).toEqual(['req-x']);
  });

  it('an aborted signal cancels too, before or after the request was sent', async () => {
    const { proxy, api } = pair();
    const early = proxy.predict('slow', undefined, request('early'), { signal: AbortSignal.abort() });
    await expect(early).rejects.toMatchObject({ kind: 'CANCELLED' });
    const controller = new AbortController();
    const late = proxy.predict('slow', undefined, request('late'), { signal: controller.signal });
    await turns(3);
    controller.abort();
    await expect(late).rejects.toMatchObject({ kind: 'CANCELLED' });
    expect(api.cancelled).toEqual(['req-early', 'req-late']);
  });

  it("a cancel that crosses the stream's head still ends the caller's stream (nothing left pending)", async () => {
    const p = pair();
    let cancel: (() => void) | undefined;
    const result = p.proxy.predict('endless', undefined, request('x'), { onCancel: (c) => (cancel = c) });
    // Let the request reach the relay and the stream start there, but cancel before the head arrives.
    const receive = p.proxy.receive.bind(p.proxy);
    const held: Uint8Array[] = [];
    p.proxy.receive = (bytes) => void held.push(bytes);
    await turns(3);
    cancel!();
    await turns(3);
    p.proxy.receive = receive;
    for (const bytes of held) receive(bytes);
    await turns(3);
    const settled = await Promise.race([
      result.then(async (r) => (r.stream === undefined ? 'body' : collect(r.stream).then(() => 'ended', () => 'failed'))).catch(() => 'rejected'),
      sleep(300).then(() => 'still pending'),
    ]);
    expect(settled).not.toBe('still pending');
    expect(p.proxy.pending).toBe(0);
    expect(p.relay.inFlight).toBe(0);
  });

  it('cancelling after the answer changes nothing', async () => {
    const { proxy, api } = pair();
    let cancel: (() => void) | undefined;
    const result = await proxy.predict('echo', undefined, request('x'), { onCancel: (c) => (cancel = c) });
    cancel!();
    await turns(3);
    expect(text(result.body)).toBe('echo:x');
    expect(api.cancelled).toEqual([]);
  });
});

describe('InferenceProxy over InferenceRelay: status calls', () => {
  it('answers health, modelStatus and modelNames from the API', async () => {
    const { proxy } = pair();
    await expect(proxy.health()).resolves.toEqual({ healthy: true });
    await expect(proxy.modelStatus('mnist')).resolves.toEqual(STATUS);
    await expect(proxy.modelStatus('mnist', '2.0')).resolves.toEqual({ ...STATUS, version: '2.0' });
    await expect(proxy.modelNames()).resolves.toEqual(['mnist', 'resnet-18']);
    expect(proxy.pending).toBe(0);
  });

  it('modelStatus of an unknown model rejects with NOT_FOUND (thrown synchronously by the API)', async () => {
    const { proxy } = pair();
    await expect(proxy.modelStatus('nope')).rejects.toMatchObject({ kind: 'NOT_FOUND', code: 'NSERVE_MODEL_NOT_FOUND', message: 'Model not found: nope' });
    expect(proxy.pending).toBe(0);
  });
});

describe('InferenceProxy.failAll and InferenceRelay.close', () => {
  it('failAll rejects every pending prediction and call with the error, and fails a running stream', async () => {
    const { proxy } = pair();
    const streaming = await proxy.predict('endless', undefined, request('s'));
    const iterator = streaming.stream![Symbol.asyncIterator]();
    expect(text((await iterator.next()).value)).toBe('c0');
    // Requests whose answers never come: the relay side does not run them.
    const silent = new InferenceProxy(() => {});
    const waiting = [silent.predict('echo', undefined, request('a')), silent.health(), silent.modelStatus('mnist'), silent.modelNames()];
    await turns(2);
    expect(silent.pending).toBe(4);
    const gone = new Error('main thread gone');
    silent.failAll(gone);
    proxy.failAll(gone);
    for (const w of waiting) await expect(w).rejects.toBe(gone);
    expect(silent.pending).toBe(0);
    expect(proxy.pending).toBe(0);
    const rest = async () => {
      for (let r = await iterator.next(); r.done !== true; r = await iterator.next());
    };
    await expect(rest()).rejects.toBe(gone);
  });

  it('relay.close() cancels in-flight requests and streams, and posts nothing more', async () => {
    const p = pair();
    const slow = p.proxy.predict('slow', undefined, request('slow'));
    const streaming = await p.proxy.predict('endless', undefined, request('endless'));
    const iterator = streaming.stream![Symbol.asyncIterator]();
    expect(text((await iterator.next()).value)).toBe('c0');
    expect(p.relay.inFlight).toBe(2);
    p.relay.close();
    expect(p.api.cancelled).toEqual(['req-slow']);
    await vi.waitFor(() => expect(p.api.finalized).toEqual(['req-endless']), { timeout: 2000, interval: 5 });
    expect(p.relay.inFlight).toBe(0);
    const posted = p.toFrontEnd;
    // A status call after close reaches the API but its answer is not posted either.
    const late = p.proxy.health();
    await sleep(20);
    expect(p.toFrontEnd).toBe(posted);
    expect(p.proxy.pending).toBe(3); // the cancelled request, the stream and the call: nothing answered them
    let settled = false;
    void slow.then(() => (settled = true), () => (settled = true));
    void late.then(() => (settled = true), () => (settled = true));
    await turns(3);
    expect(settled).toBe(false);
  });
});
