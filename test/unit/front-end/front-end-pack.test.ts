/**
 * The packed messages between a front-end thread and the main thread (src/front-end/front-end-pack.ts):
 * a `PackOutbox` posts one buffer per event-loop turn holding every entry written in that turn,
 * and every entry kind reads back through `readPack` with its fields, in the order written.
 */
import { describe, expect, it } from 'vitest';
import type { WireError } from '../../../src/errors/index.js';
import {
  PackOutbox,
  TAG,
  readPack,
  writeBody,
  writeCall,
  writeChunk,
  writeJson,
  writeRequest,
  writeStreamHead,
  type PackVisitor,
} from '../../../src/front-end/front-end-pack.js';
import type { InferenceRequest } from '../../../src/inference/types.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const utf8 = (s: string) => new TextEncoder().encode(s);

/** An outbox whose posts are collected. */
function outbox(): { out: PackOutbox; posted: Uint8Array[] } {
  const posted: Uint8Array[] = [];
  return { out: new PackOutbox((bytes) => posted.push(bytes)), posted };
}

/** Every entry of `bytes` as [kind, id, ...fields], in order. */
function entries(bytes: Uint8Array): unknown[][] {
  const seen: unknown[][] = [];
  const visitor: Required<PackVisitor> = {
    request: (id, model, version, request, explain) => seen.push(['request', id, model, version, request, explain]),
    cancel: (id) => seen.push(['cancel', id]),
    call: (id, method, args) => seen.push(['call', id, method, args]),
    head: (id, result) => seen.push(['head', id, result]),
    body: (id, result) => seen.push(['body', id, result]),
    chunk: (id, chunk) => seen.push(['chunk', id, [...chunk]]),
    end: (id) => seen.push(['end', id]),
    error: (id, error) => seen.push(['error', id, error]),
    value: (id, value) => seen.push(['value', id, value]),
  };
  readPack(bytes, visitor);
  return seen;
}

/** Payloads as plain arrays, so toEqual compares contents whatever the view type. */
const plainRequest = (r: InferenceRequest) => ({ ...r, parameters: r.parameters.map((p) => ({ ...p, value: [...p.value] })) });

describe('PackOutbox', () => {
  it('posts the entries written in one turn as one buffer, at the end of the turn', async () => {
    const { out, posted } = outbox();
    out.entry(TAG.CANCEL, 1);
    out.entry(TAG.END, 2);
    writeChunk(out, 3, utf8('abc'));
    expect(posted).toHaveLength(0); // not before the turn ends
    await turn();
    expect(posted).toHaveLength(1);
    expect(entries(posted[0]!)).toEqual([['cancel', 1], ['end', 2], ['chunk', 3, [...utf8('abc')]]]);
  });

  it('posts nothing for a turn without entries, and one buffer per turn that has some', async () => {
    const { out, posted } = outbox();
    await turn();
    out.flush();
    expect(posted).toHaveLength(0);
    out.entry(TAG.CANCEL, 7);
    await turn();
    await turn();
    out.entry(TAG.CANCEL, 8);
    await turn();
    expect(posted.map(entries)).toEqual([[['cancel', 7]], [['cancel', 8]]]);
  });

  it('each posted buffer is its own exact-size buffer (transferable)', async () => {
    const { out, posted } = outbox();
    writeChunk(out, 1, new Uint8Array(100));
    await turn();
    writeChunk(out, 2, new Uint8Array(10));
    await turn();
    expect(posted).toHaveLength(2);
    for (const p of posted) {
      expect(p.byteOffset).toBe(0);
      expect(p.byteLength).toBe(p.buffer.byteLength);
    }
    expect(posted[0]!.buffer).not.toBe(posted[1]!.buffer);
    expect(entries(posted[0]!)).toEqual([['chunk', 1, new Array(100).fill(0)]]);
  });
});

describe('front-end pack entries', () => {
  it('round-trips requests: model, version or none, explain, request id, headers, parameters', async () => {
    const binary = new Uint8Array([0, 1, 0x7f, 0x80, 0xfe, 0xff]);
    const first: InferenceRequest = {
      requestId: '5d381812-ab84-4579-83be-f56991938c59',
      headers: { host: '127.0.0.1:8080', 'content-type': 'application/json', 'x-name': 'Zoë ☃ 𝄞', 'x-latin1': 'caf\u00e9\u00ff', explain: 'False' },
      parameters: [
        { name: 'body', contentType: 'application/json', value: utf8('{"data":"hello"}') },
        { name: 'empty', contentType: '', value: new Uint8Array(0) },
        { name: 'image', contentType: 'image/png', value: binary },
      ],
    };
    const second: InferenceRequest = { requestId: 'r-2', headers: {}, parameters: [] };
    const { out, posted } = outbox();
    writeRequest(out, 1, 'resnet-18', undefined, first, false);
    writeRequest(out, 0xffff_ffff, 'модель', '2.0', second, true);
    writeRequest(out, 3, 'm', '', second, false); // an empty version is still a version
    await turn();
    expect(posted).toHaveLength(1);
    const got = entries(posted[0]!).map(([kind, id, model, version, request, explain]) => [kind, id, model, version, plainRequest(request as InferenceRequest), explain]);
    expect(got).toEqual([
      ['request', 1, 'resnet-18', undefined, plainRequest(first), false],
      ['request', 0xffff_ffff, 'модель', '2.0', plainRequest(second), true],
      ['request', 3, 'm', '', plainRequest(second), false],
    ]);
  });

  it('request payloads read back as views into the pack', async () => {
    const { out, posted } = outbox();
    writeRequest(out, 1, 'm', undefined, { requestId: 'r', headers: {}, parameters: [{ name: 'body', contentType: '', value: utf8('payload') }] }, false);
    await turn();
    let value: Uint8Array | undefined;
    readPack(posted[0]!, { request: (_id, _m, _v, request) => (value = request.parameters[0]!.value) });
    expect(Buffer.from(value!).toString()).toBe('payload');
    expect(value!.buffer).toBe(posted[0]!.buffer);
  });

  it('round-trips calls: the method and its arguments, undefined ones included', async () => {
    const { out, posted } = outbox();
    writeCall(out, 1, 'health', []);
    writeCall(out, 2, 'modelStatus', ['mnist', '1.0']);
    writeCall(out, 3, 'modelStatus', ['mnist', undefined]);
    writeCall(out, 4, 'management.scale', ['mnist', undefined, { minWorker: 2, synchronous: true }]);
    await turn();
    expect(entries(posted[0]!)).toEqual([
      ['call', 1, 'health', []],
      ['call', 2, 'modelStatus', ['mnist', '1.0']],
      ['call', 3, 'modelStatus', ['mnist', undefined]],
      ['call', 4, 'management.scale', ['mnist', undefined, { minWorker: 2, synchronous: true }]],
    ]);
  });

  it('round-trips every answer kind in the order written: body, head, chunks, end, error, value, cancel', async () => {
    const wire: WireError = { kind: 'NOT_FOUND', code: 'NSERVE_MODEL_NOT_FOUND', tsType: 'ModelNotFoundException', message: 'Model not found: ☃', status: 404 };
    const { out, posted } = outbox();
    writeBody(out, 1, { status: 200, headers: { 'x-a': 'b' }, contentType: 'application/json', body: utf8('{"ok":true}') });
    writeBody(out, 2, { status: 503, headers: {} }); // no content type, no body
    writeStreamHead(out, 3, { status: 206, headers: { 'x-stream': 'yes' }, contentType: 'text/plain' });
    writeChunk(out, 3, utf8('one'));
    writeChunk(out, 3, new Uint8Array(0));
    writeChunk(out, 3, utf8('two'));
    out.entry(TAG.END, 3);
    writeJson(out, TAG.ERROR, 4, wire);
    writeJson(out, TAG.VALUE, 5, { name: 'mnist', versions: ['1.0', '2.0'], ready: true, note: 'é' });
    writeJson(out, TAG.VALUE, 6, ['a', 'b']);
    out.entry(TAG.CANCEL, 7);
    await turn();
    expect(posted).toHaveLength(1);
    const got = entries(posted[0]!).map((e) => {
      if (e[0] !== 'body') return e;
      const { body, ...rest } = e[2] as { body: Uint8Array };
      return [e[0], e[1], { ...rest, body: Buffer.from(body).toString() }];
    });
    expect(got).toEqual([
      ['body', 1, { status: 200, headers: { 'x-a': 'b' }, contentType: 'application/json', body: '{"ok":true}' }],
      ['body', 2, { status: 503, headers: {}, body: '' }],
      ['head', 3, { status: 206, headers: { 'x-stream': 'yes' }, contentType: 'text/plain' }],
      ['chunk', 3, [...utf8('one')]],
      ['chunk', 3, []],
      ['chunk', 3, [...utf8('two')]],
      ['end', 3],
      ['error', 4, wire],
      ['value', 5, { name: 'mnist', versions: ['1.0', '2.0'], ready: true, note: 'é' }],
      ['value', 6, ['a', 'b']],
      ['cancel', 7],
    ]);
    // A result without a content type has no contentType key at all (not `undefined`).
    expect(Object.hasOwn(got[1]![2] as object, 'contentType')).toBe(false);
  });

  it('a visitor without a handler for an entry kind skips its fields and still reads the rest', async () => {
    const { out, posted } = outbox();
    writeStreamHead(out, 1, { status: 200, headers: { a: 'b' } });
    writeChunk(out, 1, utf8('chunk'));
    writeJson(out, TAG.ERROR, 2, { kind: 'INTERNAL', code: 'X', tsType: 'T', message: 'm' } satisfies WireError);
    writeJson(out, TAG.VALUE, 3, { v: 1 });
    writeCall(out, 4, 'modelStatus', ['mnist', '2.0']);
    out.entry(TAG.END, 5);
    await turn();
    const ended: number[] = [];
    readPack(posted[0]!, { end: (id) => ended.push(id) });
    expect(ended).toEqual([5]);
  });

  it('an unknown entry tag throws', () => {
    const bytes = new Uint8Array([200, 1, 0, 0, 0]);
    expect(() => readPack(bytes, {})).toThrow(/unknown entry tag 200/);
  });
});
