/**
 * TorchServe's gRPC inference service over a real socket: Ping, Predictions,
 * StreamPredictions, StreamPredictions2, error codes from the status table, cancellation
 * and message size limits.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, callError, loadClientPackages, PROTO_DIR, readStream, startHarness, type Harness } from './helpers.js';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');

interface Prediction { prediction: Buffer; sequence_id?: string; status?: { code: number; message: string; details: { type_url: string; value: Buffer }[] } }

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

describe('Ping', () => {
  it('answers TorchServe health JSON, unhealthy still gRPC OK', async () => {
    expect(await call(h.ts, 'Ping', {})).toEqual({ health: '{\n  "status": "Healthy"\n}' });
    h.inference.healthy = false;
    expect(await call(h.ts, 'Ping', {})).toEqual({ health: '{\n  "status": "Unhealthy"\n}' });
  });
});

describe('Predictions', () => {
  it('echoes the data input; JSON body gets application/json, other inputs no content type', async () => {
    const json = '  {"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}';
    const res = await call<Prediction>(h.ts, 'Predictions', { model_name: 'echo', input: { data: utf8(json), temperature: utf8('0.5') } });
    expect(text(res.prediction)).toBe(json);
    const { request, version } = h.inference.calls[0]!;
    expect(version).toBeUndefined();
    expect(request.headers).toEqual({});
    expect(request.parameters.map((p) => [p.name, p.contentType, text(p.value)])).toEqual([
      ['data', 'application/json', json],
      ['temperature', '', '0.5'],
    ]);
  });

  it('binary and plain-text bodies carry no content type; model_version selects the version', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255]);
    const res = await call<Prediction>(h.ts, 'Predictions', { model_name: 'echo', model_version: '2.0', input: { body: png } });
    expect(Buffer.compare(res.prediction, png)).toBe(0);
    await call(h.ts, 'Predictions', { model_name: 'echo', input: { data: utf8('hello {"a":1}') } });
    expect(h.inference.calls.map((c) => [c.version, c.request.parameters[0]!.contentType])).toEqual([
      ['2.0', ''],
      [undefined, ''],
    ]);
  });

  it('joins a streamed result into one prediction', async () => {
    const res = await call<Prediction>(h.ts, 'Predictions', { model_name: 'stream', input: { data: utf8('x') } });
    expect(text(res.prediction)).toBe('chunk-0;chunk-1;chunk-2;');
  });

  it.each([
    ['unknown model', { model_name: 'nope' }, grpc.status.NOT_FOUND, 'Model not found: nope\norg.pytorch.serve.archive.model.ModelNotFoundException'],
    [
      'unknown version',
      { model_name: 'echo', model_version: '9' },
      grpc.status.NOT_FOUND,
      'Model version: 9 does not exist for model: echo\norg.pytorch.serve.archive.model.ModelVersionNotFoundException',
    ],
    ['empty model_name', { model_name: '' }, grpc.status.INVALID_ARGUMENT, 'Parameter model_name is required.\norg.pytorch.serve.http.BadRequestException'],
    ['handler failure (HTTP 503)', { model_name: 'fail' }, grpc.status.UNAVAILABLE, 'Prediction failed\norg.pytorch.serve.http.InternalServerException'],
    ['handler status 400', { model_name: 'fail-400' }, grpc.status.INVALID_ARGUMENT, 'bad image\norg.pytorch.serve.http.InternalServerException'],
  ])('%s -> status and TorchServe-style details', async (_, request, code, details) => {
    const err = await callError(h.ts, 'Predictions', { input: { data: utf8('1') }, ...request });
    expect(err.code).toBe(code);
    expect(err.details).toBe(details);
  });

  it('full queue -> UNAVAILABLE with TorchServe message', async () => {
    const err = await callError(h.ts, 'Predictions', { model_name: 'busy', model_version: '1.0', input: {} });
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/^Model "busy" Version 1.0" has no worker to serve inference request\. Please use scale workers API/);
  });

  it('client cancel aborts the signal passed to predict', async () => {
    const done = new Promise<grpc.ServiceError>((resolve) => {
      const c = h.ts.Predictions!({ model_name: 'slow', input: {} }, (err: grpc.ServiceError) => resolve(err)) as grpc.ClientUnaryCall;
      const poll = setInterval(() => {
        if (h.inference.calls.length > 0) {
          clearInterval(poll);
          c.cancel();
        }
      }, 2);
    });
    expect((await done).code).toBe(grpc.status.CANCELLED);
    await expect.poll(() => h.inference.aborted.length).toBe(1);
    expect(h.inference.calls[0]!.options?.signal?.aborted).toBe(true);
  });

  it('writes one access log line per call with the status code', async () => {
    await call(h.ts, 'Predictions', { model_name: 'echo', input: { data: utf8('a') } });
    await callError(h.ts, 'Predictions', { model_name: 'nope', input: {} });
    expect(h.logLines).toEqual([
      expect.stringMatching(/^127\.0\.0\.1:\d+ "gRPC \/org\.pytorch\.serve\.grpc\.inference\.InferenceAPIsService\/Predictions HTTP\/2\.0" 0 \d+$/),
      expect.stringMatching(/Predictions HTTP\/2\.0" 5 \d+$/),
    ]);
  });
});

describe('StreamPredictions', () => {
  it('sends one message per chunk, then OK', async () => {
    const { messages, error } = await readStream<Prediction>(h.ts.StreamPredictions!({ model_name: 'stream', input: { data: utf8('x') } }) as grpc.ClientReadableStream<Prediction>);
    expect(error).toBeUndefined();
    expect(messages.map((m) => text(m.prediction))).toEqual(['chunk-0;', 'chunk-1;', 'chunk-2;']);
  });

  it('tells the handler the client reads a stream (ts_stream header), unlike unary Predictions', async () => {
    await readStream<Prediction>(h.ts.StreamPredictions!({ model_name: 'echo', input: { data: utf8('s') } }) as grpc.ClientReadableStream<Prediction>);
    await new Promise<void>((done, fail) => h.ts.Predictions!({ model_name: 'echo', input: { data: utf8('u') } }, (err: Error | null) => (err ? fail(err) : done())));
    const seen = h.inference.calls.slice(-2).map((c) => c.request.headers['ts_stream']);
    expect(seen).toEqual(['true', undefined]);
  });

  it('a non-streaming result is a single message', async () => {
    const { messages, error } = await readStream<Prediction>(h.ts.StreamPredictions!({ model_name: 'echo', input: { data: utf8('once') } }) as grpc.ClientReadableStream<Prediction>);
    expect(error).toBeUndefined();
    expect(messages.map((m) => text(m.prediction))).toEqual(['once']);
  });

  it('a failure after two chunks ends the call with the mapped status', async () => {
    const { messages, error } = await readStream<Prediction>(h.ts.StreamPredictions!({ model_name: 'stream-fail', input: {} }) as grpc.ClientReadableStream<Prediction>);
    expect(messages.map((m) => text(m.prediction))).toEqual(['chunk-0;', 'chunk-1;']);
    expect(error?.code).toBe(grpc.status.INTERNAL);
    expect(error?.details).toBe('Worker died.\norg.pytorch.serve.http.InternalServerException');
  });

  it('unknown model ends the call with NOT_FOUND', async () => {
    const { messages, error } = await readStream<Prediction>(h.ts.StreamPredictions!({ model_name: 'nope', input: {} }) as grpc.ClientReadableStream<Prediction>);
    expect(messages).toEqual([]);
    expect(error?.code).toBe(grpc.status.NOT_FOUND);
  });
});

describe('StreamPredictions2 (bidirectional)', () => {
  const errorInfo = protobuf.loadSync(`${PROTO_DIR}/google/rpc/error_details.proto`).lookupType('google.rpc.ErrorInfo');

  it('answers every request in order, errors in-band, completes after half-close', async () => {
    const stream = h.ts.StreamPredictions2!() as grpc.ClientDuplexStream<object, Prediction>;
    const result = readStream<Prediction>(stream);
    stream.write({ model_name: 'echo', input: { data: utf8('1') }, sequence_id: 'seq-a' });
    stream.write({ model_name: 'stream', input: { data: utf8('2') }, sequence_id: 'seq-a' });
    stream.write({ model_name: 'nope', input: { data: utf8('3') }, sequence_id: 'seq-a' });
    stream.write({ model_name: 'echo', input: { data: utf8('4') } });
    stream.write({ model_name: 'fail', input: { data: utf8('5') }, sequence_id: 'seq-a' });
    stream.write({ model_name: 'echo', input: { data: utf8('6') }, sequence_id: 'seq-a' });
    stream.end();
    const { messages, error } = await result;
    expect(error).toBeUndefined();
    const summary = messages.map((m) => (m.status ? `error ${m.status.code} ${m.status.message} [${m.sequence_id ?? ''}]` : `${text(m.prediction)} [${m.sequence_id}]`));
    expect(summary).toEqual([
      '1 [seq-a]',
      'chunk-0; [seq-a]',
      'chunk-1; [seq-a]',
      'chunk-2; [seq-a]',
      `error ${grpc.status.NOT_FOUND} Model not found: nope [seq-a]`,
      `error ${grpc.status.INVALID_ARGUMENT} Parameter sequenceId is required. []`,
      `error ${grpc.status.UNAVAILABLE} Prediction failed [seq-a]`,
      '6 [seq-a]',
    ]);
    const failed = messages[4]!.status!.details[0]!;
    expect(failed.type_url).toBe('type.googleapis.com/google.rpc.ErrorInfo');
    expect(errorInfo.toObject(errorInfo.decode(failed.value))).toEqual({ reason: 'org.pytorch.serve.archive.model.ModelNotFoundException' });
    expect(h.inference.calls.map((c) => c.request.headers)).toEqual([
      { ts_request_sequence_id: 'seq-a', ts_stream: 'true' },
      { ts_request_sequence_id: 'seq-a', ts_stream: 'true' },
      { ts_request_sequence_id: 'seq-a', ts_stream: 'true' },
      { ts_request_sequence_id: 'seq-a', ts_stream: 'true' },
    ]);
    expect(h.inference.calls.map((c) => c.model)).toEqual(['echo', 'stream', 'fail', 'echo']);
  });

  it('sequence start flag without an id opens a new sequence; the end flag is passed on', async () => {
    const stream = h.ts.StreamPredictions2!() as grpc.ClientDuplexStream<object, Prediction>;
    const result = readStream<Prediction>(stream);
    stream.write({ model_name: 'echo', input: { data: utf8('a'), ts_request_sequence_start: utf8('true') } });
    stream.write({ model_name: 'echo', input: { data: utf8('b'), ts_request_sequence_end: utf8('true') }, sequence_id: 's1' });
    stream.end();
    const { messages } = await result;
    expect(messages[0]!.sequence_id).toMatch(/^ts-seq-[0-9a-f-]{36}$/);
    expect(h.inference.calls[0]!.request.headers).toEqual({ ts_request_sequence_id: messages[0]!.sequence_id, ts_request_sequence_start: 'true', ts_stream: 'true' });
    expect(h.inference.calls[1]!.request.headers).toEqual({ ts_request_sequence_id: 's1', ts_request_sequence_end: 'true', ts_stream: 'true' });
  });
});

describe('message size limits', () => {
  it('oversized request -> RESOURCE_EXHAUSTED; oversized response -> RESOURCE_EXHAUSTED', async () => {
    await h.close();
    h = await startHarness({ maxRequestSize: 4096, maxResponseSize: 32 * 1024 });
    const big = await callError(h.ts, 'Predictions', { model_name: 'echo', input: { data: Buffer.alloc(8192, 1) } });
    expect(big.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(h.inference.calls).toHaveLength(0);
    const small = await call<Prediction>(h.ts, 'Predictions', { model_name: 'echo', input: { data: Buffer.alloc(2048, 1) } });
    expect(small.prediction.length).toBe(2048);
    const reply = await callError(h.ts, 'Predictions', { model_name: 'big', input: {} }, undefined);
    expect(reply.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });
});

it('client packages are generated from proto/ at test time', () => {
  expect(Object.keys(loadClientPackages())).toEqual(expect.arrayContaining(['org', 'inference', 'google']));
});

describe('connection age', () => {
  it('grpc_inference_max_connection_age_ms closes idle client connections (client reconnects)', async () => {
    await h.close();
    h = await startHarness({ inferenceConnection: { maxAgeMs: 150, maxAgeGraceMs: 50 } });
    await call(h.ts, 'Ping', {});
    const channel = h.ts.getChannel();
    expect(channel.getConnectivityState(false)).toBe(grpc.connectivityState.READY);
    await expect.poll(() => channel.getConnectivityState(false), { timeout: 3000, interval: 20 }).not.toBe(grpc.connectivityState.READY);
    expect(await call(h.ts, 'Ping', {})).toEqual({ health: '{\n  "status": "Healthy"\n}' });
    // The management listener has no age limit.
    await call(h.mgmt, 'ListModels', { limit: 1 });
    await new Promise((r) => setTimeout(r, 400));
    expect(h.mgmt.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.READY);
  });
});
