import { describe, expect, it } from 'vitest';
import type { WireRequest } from '../../../src/workers/messages.js';
import {
  PACK_MAX_PAYLOAD,
  PackWriter,
  packBatches,
  packMessageMarker,
  packResult,
  packable,
  packableBody,
  packableResult,
  unpackBatches,
  unpackResults,
  type PackedResult,
} from '../../../src/workers/wire-pack.js';

const bytes = (...v: number[]) => new Uint8Array(v);

function request(over: Partial<WireRequest> = {}): WireRequest {
  return {
    requestId: '5d381812-ab84-4579-83be-f56991938c59',
    headers: { host: '127.0.0.1:8080', 'content-type': 'application/json', url_path: '', explain: 'False' },
    parameters: [{ name: 'body', contentType: 'application/json', value: new TextEncoder().encode('{"data":"hello"}') }],
    explain: false,
    ...over,
  };
}

describe('wire packing of batches (main -> worker)', () => {
  it('round-trips batches with every field: ids, unicode and Latin-1 header values, binary payloads, no parameters', () => {
    const binary = bytes(0, 1, 0x7f, 0x80, 0xfe, 0xff);
    const batches = [
      { batchId: 1, requests: [request()] },
      {
        batchId: 4_000_000_000,
        requests: [
          request({ requestId: 'r2', explain: true, headers: { 'x-name': 'Zoë ☃ 𝄞', 'x-latin1': 'caf\u00e9\u00ff', 'x-long': 'é'.repeat(200) + 'a'.repeat(100), 'x-ascii-then-not': 'a'.repeat(100) + '☃', accept: '*/*' }, parameters: [{ name: 'image', contentType: 'image/png', value: binary }, { name: 'empty', contentType: '', value: new Uint8Array(0) }] }),
          request({ requestId: 'r3', headers: {}, parameters: [] }),
        ],
      },
    ];
    const packed = packBatches(new PackWriter(8), batches); // tiny scratch: forces growth
    expect(packed.byteOffset).toBe(0);
    expect(packed.byteLength).toBe(packed.buffer.byteLength); // exact size: transferable as is
    const out = unpackBatches(packed);
    expect(out.map((b) => b.batchId)).toEqual([1, 4_000_000_000]);
    const plain = (r: WireRequest) => ({ ...r, parameters: r.parameters.map((p) => ({ ...p, value: [...p.value] })) });
    expect(out.map((b) => b.requests.map(plain))).toEqual(batches.map((b) => b.requests.map(plain)));
  });

  it('payloads come out as views into the one packed buffer (no copy per payload)', () => {
    const packed = packBatches(new PackWriter(), [{ batchId: 1, requests: [request(), request()] }]);
    const [a, b] = unpackBatches(packed)[0]!.requests;
    expect(a!.parameters[0]!.value.buffer).toBe(packed.buffer);
    expect(b!.parameters[0]!.value.buffer).toBe(packed.buffer);
  });

  it('a writer is reusable: each take() holds only what was written since the last one', () => {
    const w = new PackWriter(16);
    const first = packBatches(w, [{ batchId: 7, requests: [request({ requestId: 'x'.repeat(5000) })] }]);
    const second = packBatches(w, [{ batchId: 8, requests: [request()] }]);
    expect(second.byteLength).toBeLessThan(first.byteLength);
    expect(unpackBatches(first)[0]!.requests[0]!.requestId).toBe('x'.repeat(5000));
    expect(unpackBatches(second)[0]!.batchId).toBe(8);
  });

  it('payloads of PACK_MAX_PAYLOAD bytes or more are not packable (they are transferred instead)', () => {
    expect(packable([request()])).toBe(true);
    const big = request({ parameters: [{ name: 'body', contentType: '', value: new Uint8Array(PACK_MAX_PAYLOAD) }] });
    expect(packable([request(), big])).toBe(false);
    expect(packable([request({ parameters: [{ name: 'body', contentType: '', value: new Uint8Array(PACK_MAX_PAYLOAD - 1) }] })])).toBe(true);
  });
});

describe('wire packing of results (worker -> main)', () => {
  it('round-trips results and keeps their order with the structured messages posted between them', () => {
    const w = new PackWriter(32);
    const r1: PackedResult = { batchId: 3, handlerMs: 0.25, responses: [{ kind: 'body', status: 200, headers: {}, body: bytes(1, 2, 3) }] };
    const r2: PackedResult = {
      batchId: 4,
      handlerMs: 12.5,
      responses: [
        { kind: 'body', status: 201, headers: { 'x-test': 'ä' }, contentType: 'text/plain; charset=utf-8', body: new TextEncoder().encode('héllo') },
        { kind: 'body', status: 599, headers: {}, contentType: '', body: new Uint8Array(0) },
      ],
    };
    packMessageMarker(w); // e.g. a log line before the first result
    packResult(w, r1);
    packMessageMarker(w);
    packMessageMarker(w);
    packResult(w, r2);
    const order: string[] = [];
    const results: PackedResult[] = [];
    unpackResults(
      w.take(),
      (r) => {
        order.push(`result ${r.batchId}`);
        results.push(r);
      },
      (i) => order.push(`message ${i}`),
    );
    expect(order).toEqual(['message 0', 'result 3', 'message 1', 'message 2', 'result 4']);
    const plain = (r: PackedResult) => ({ ...r, responses: r.responses.map((x) => ({ ...x, body: [...x.body] })) });
    expect(results.map(plain)).toEqual([r1, r2].map(plain));
    expect(results[1]!.responses[1]!.contentType).toBe(''); // an empty type is not "no type"
    expect('contentType' in results[0]!.responses[0]!).toBe(false);
  });

  it('text bodies are packed as their UTF-8 bytes', () => {
    const w = new PackWriter(8);
    packResult(w, { batchId: 9, handlerMs: 1, responses: [{ kind: 'body', status: 200, headers: {}, body: '{"a": "ünïcødé ☃"}' }] });
    const got: PackedResult[] = [];
    unpackResults(w.take(), (r) => got.push(r), () => {});
    expect(Buffer.from(got[0]!.responses[0]!.body).toString('utf8')).toBe('{"a": "ünïcødé ☃"}');
  });

  it('a text body is packable while its UTF-8 stays below PACK_MAX_PAYLOAD', () => {
    expect(packableBody('a'.repeat(PACK_MAX_PAYLOAD - 1))).toBe(true);
    expect(packableBody('a'.repeat(PACK_MAX_PAYLOAD))).toBe(false);
    const snowmen = Math.floor(PACK_MAX_PAYLOAD / 3); // 3 UTF-8 bytes each
    expect(packableBody('☃'.repeat(snowmen))).toBe(true);
    expect(packableBody('☃'.repeat(snowmen + 1))).toBe(false);
    expect(packableBody('☃'.repeat(PACK_MAX_PAYLOAD / 2))).toBe(false);
  });

  it('answers the layout cannot hold are not packable (they travel structured)', () => {
    const ok = { kind: 'body' as const, status: 200, headers: {}, body: bytes(1) };
    expect(packableResult([{ ...ok, status: 70_000 }])).toBe(false);
    expect(packableResult([{ ...ok, status: 200.5 }])).toBe(false);
    expect(packableResult([{ ...ok, headers: { 'x-n': 5 as unknown as string } }])).toBe(false);
    expect(packableResult([{ ...ok, contentType: 7 as unknown as string }])).toBe(false);
    expect(packableResult([ok])).toBe(true);
  });

  it('a result that fails to pack leaves what was packed before intact', () => {
    const w = new PackWriter(64);
    packResult(w, { batchId: 1, handlerMs: 0, responses: [{ kind: 'body', status: 200, headers: {}, body: bytes(7) }] });
    const bad = { kind: 'body' as const, status: 200, headers: { ['x-' + 'a'.repeat(300)]: { not: 'a string' } as unknown as string }, body: bytes(1) };
    expect(() => packResult(w, { batchId: 2, handlerMs: 0, responses: [bad] })).toThrow();
    const got: PackedResult[] = [];
    unpackResults(w.take(), (r) => got.push(r), () => {});
    expect(got.map((r) => [r.batchId, [...r.responses[0]!.body]])).toEqual([[1, [7]]]);
  });

  it('only full bodies below PACK_MAX_PAYLOAD are packable', () => {
    expect(packableResult([{ kind: 'body', status: 200, headers: {}, body: bytes(1) }])).toBe(true);
    expect(packableResult([{ kind: 'body', status: 200, headers: {}, body: new Uint8Array(PACK_MAX_PAYLOAD) }])).toBe(false);
    expect(packableResult([{ kind: 'stream', status: 200, headers: {} }])).toBe(false);
    expect(packableResult([{ kind: 'body', status: 200, headers: {}, body: bytes(1) }, { kind: 'error', error: { kind: 'INTERNAL', code: 'X', tsType: 'T', message: 'm' } }])).toBe(false);
  });
});
