import { afterEach, describe, expect, it } from 'vitest';
import { InvalidInputError, ServeError } from '../../../src/errors/index.js';
import type { InferenceRequest } from '../../../src/inference/types.js';
import { addModelBytes } from '../../fixtures/onnx/build-tiny-model.js';
import { bodyJson, bodyText, jsonRequest } from './pool-harness.js';
import { makeCore, type CoreHarness } from './core-harness.js';

let h: CoreHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('built-in handlers in real worker threads', () => {
  it('echo returns the body unchanged, text and bytes alike', async () => {
    h = await makeCore();
    // (a directory holding only MAR-INF/ would be taken as its sub-directory: TorchServe's no-archive rule)
    await h.addModel('echo', { handler: 'echo', files: { 'README.txt': new TextEncoder().encode('echo') } });
    await h.core.management.register({ url: 'echo', synchronous: true, initialWorkers: 1 });
    const raw: InferenceRequest = { requestId: 'r', headers: {}, parameters: [{ name: 'body', contentType: 'application/octet-stream', value: new Uint8Array([0, 1, 255]) }] };
    const r = await h.core.inference.predict('echo', undefined, raw);
    expect([...r.body!]).toEqual([0, 1, 255]);
    const t: InferenceRequest = { requestId: 'r', headers: {}, parameters: [{ name: 'body', contentType: 'text/plain', value: new TextEncoder().encode('héllo') }] };
    expect(await bodyText(await h.core.inference.predict('echo', undefined, t))).toBe('héllo');
    // A large body that owns its whole ArrayBuffer is transferred to the worker, not copied.
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    const bigReq: InferenceRequest = { requestId: 'r', headers: {}, parameters: [{ name: 'body', contentType: 'application/octet-stream', value: big }] };
    const back = await h.core.inference.predict('echo', undefined, bigReq);
    expect(big.byteLength).toBe(0);
    expect(back.body!.byteLength).toBe(200_000);
    expect(back.body![250]).toBe(250);
    expect(back.body![251]).toBe(0);
  });

  it('onnx: concurrent requests are batched, answered per request, bad ones fail alone with 400', async () => {
    h = await makeCore();
    await h.addModel('tiny', {
      handler: 'onnx',
      serializedFile: 'model.onnx',
      files: { 'model.onnx': addModelBytes() },
      config: 'batchSize: 4\nmaxBatchDelay: 200\nminWorkers: 1\nmaxWorkers: 1\nintraOpNumThreads: 1\n',
    });
    await h.core.management.register({ url: 'tiny', synchronous: true });
    expect(h.core.inference.modelStatus('tiny').signature).toEqual({
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }, { name: 'y', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1, 3] }, { name: 'scaled', datatype: 'FP32', shape: [-1, 3] }],
    });
    const bodies = [
      { x: [[1, 2, 3]], y: [[1, 1, 1]] },
      { x: [[0, 0, 0], [1, 1, 1]], y: [[2, 2, 2], [3, 3, 3]] },
      { x: [[1, 2]], y: [[1, 2]] },
      { x: [[5, 5, 5]], y: [[0, 0, 0]] },
    ];
    const settled = await Promise.allSettled(bodies.map((b) => h!.core.inference.predict('tiny', undefined, jsonRequest(b))));
    const ok = await Promise.all(
      settled.filter((s) => s.status === 'fulfilled').map((s) => bodyJson((s as PromiseFulfilledResult<Awaited<ReturnType<typeof h.core.inference.predict>>>).value)),
    );
    expect(ok).toEqual([
      { sum: [[2, 3, 4]], scaled: [[2, 4, 6]] },
      { sum: [[2, 2, 2], [4, 4, 4]], scaled: [[0, 0, 0], [2, 2, 2]] },
      { sum: [[5, 5, 5]], scaled: [[10, 10, 10]] },
    ]);
    const bad = settled[2] as PromiseRejectedResult;
    expect(bad.status).toBe('rejected');
    expect(bad.reason).toBeInstanceOf(ServeError);
    expect((bad.reason as ServeError).kind).toBe('INVALID_ARGUMENT');
    expect((bad.reason as ServeError).code).toBe(new InvalidInputError('x').code);
    expect((bad.reason as Error).message).toBe("Input 'x' has shape [1,2], expected [batch,3]");
  });
});
