import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServeError } from '../../../src/errors/index.js';
import { resolveModelSource, urlAllowed } from '../../../src/management/model-source.js';

let root: string;
let store: string;
let server: Server;
let base: string;
const ANY = [/file:\/\/.*/, /http(s)?:\/\/.*/];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nserve-src-'));
  store = join(root, 'store');
  await mkdir(join(store, 'dir-model'), { recursive: true });
  await writeFile(join(store, 'a.mar'), 'zip');
  await writeFile(join(root, 'outside.mar'), 'outside');
  server = createServer((req, res) => {
    if (req.url === '/models/remote.mar') res.end('remote-bytes');
    else if (req.url === '/models/big.mar') res.end(Buffer.alloc(4096));
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(root, { recursive: true, force: true });
});

async function error(p: Promise<unknown>): Promise<ServeError> {
  const e = await p.catch((x: unknown) => x);
  expect(e).toBeInstanceOf(ServeError);
  return e as ServeError;
}

describe('register url resolution', () => {
  it('finds files and directories in model_store', async () => {
    expect(await resolveModelSource('a.mar', { modelStore: store, allowedUrls: ANY })).toEqual({ path: join(store, 'a.mar') });
    expect(await resolveModelSource('dir-model', { modelStore: store, allowedUrls: ANY })).toEqual({ path: join(store, 'dir-model') });
    expect(await resolveModelSource(join(store, 'dir-model'), { modelStore: undefined, allowedUrls: ANY })).toEqual({ path: join(store, 'dir-model') });
  });

  it('answers TorchServe 404s', async () => {
    const cases: [string, string][] = [
      ['', 'empty url'],
      ['../outside.mar', 'Relative path is not allowed in url: ../outside.mar'],
      ['x/../../outside.mar', 'Relative path is not allowed in url: x/../../outside.mar'],
      ['nope.mar', 'Model not found at: nope.mar'],
    ];
    for (const [url, message] of cases) {
      const e = await error(resolveModelSource(url, { modelStore: store, allowedUrls: ANY }));
      expect([e.kind, e.tsType, e.message]).toEqual(['NOT_FOUND', 'ModelNotFoundException', message]);
    }
    const e = await error(resolveModelSource('x.mar', { modelStore: undefined, allowedUrls: ANY }));
    expect(e.message).toBe('Model store has not been configured.');
  });

  it('allowed_urls are full-match and case-insensitive', () => {
    expect(urlAllowed('HTTPS://Models.example.com/a.mar', [/https:\/\/models\.example\.com\/.*/])).toBe(true);
    expect(urlAllowed('https://models.example.com.evil/a.mar', [/https:\/\/models\.example\.com\/.*\.mar/])).toBe(false);
    expect(urlAllowed('xhttps://models.example.com/a.mar', [/https:\/\/models\.example\.com\/.*/])).toBe(false);
  });

  it('downloads an http URL into model_store under its file name', async () => {
    const src = await resolveModelSource(`${base}/models/remote.mar`, { modelStore: store, allowedUrls: ANY });
    expect(src).toEqual({ path: join(store, 'remote.mar'), downloaded: join(store, 'remote.mar') });
    expect(await readFile(src.path, 'utf8')).toBe('remote-bytes');
    const again = await error(resolveModelSource(`${base}/models/remote.mar`, { modelStore: store, allowedUrls: ANY }));
    expect([again.kind, again.message]).toEqual(['INTERNAL', 'Model file already exists remote.mar']);
  });

  it('failed and oversized downloads are 400 DownloadArchiveException and leave nothing behind', async () => {
    const missing = await error(resolveModelSource(`${base}/models/missing.mar`, { modelStore: store, allowedUrls: ANY }));
    expect([missing.kind, missing.tsType, missing.message]).toEqual(['INVALID_ARGUMENT', 'DownloadArchiveException', `Failed to download archive from: ${base}/models/missing.mar`]);
    const big = await error(resolveModelSource(`${base}/models/big.mar`, { modelStore: store, allowedUrls: ANY, maxDownloadBytes: 100 }));
    expect(big.message).toBe(`Failed to download archive from: ${base}/models/big.mar`);
    await expect(readFile(join(store, 'big.mar'))).rejects.toThrow();
    const file = await error(resolveModelSource('file:///no/such/file.mar', { modelStore: store, allowedUrls: ANY }));
    expect(file.tsType).toBe('DownloadArchiveException');
  });

  it('copies a file:// URL into model_store', async () => {
    const url = pathToFileURL(join(root, 'outside.mar')).href;
    const src = await resolveModelSource(url, { modelStore: store, allowedUrls: ANY });
    expect(await readFile(src.path, 'utf8')).toBe('outside');
    expect(src.downloaded).toBe(join(store, 'outside.mar'));
  });
});
