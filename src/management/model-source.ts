/**
 * Where a register `url` points (§2.2): a file or directory in model_store, a directory path,
 * or an `http(s)://` / `file://` URL allowed by `allowed_urls`, which is copied into model_store
 * under the URL's file name. Messages and statuses are TorchServe's.
 */
import { createWriteStream } from 'node:fs';
import { copyFile, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { DownloadArchiveError, InternalServerError, ServeError } from '../errors/index.js';

export interface ModelSourceOptions {
  modelStore: string | undefined;
  /** Full-match, case-insensitive (TorchServe's `allowed_urls`). */
  allowedUrls: readonly RegExp[];
  /** Download size bound in bytes (default 20 GiB). */
  maxDownloadBytes?: number;
  fetch?: typeof fetch;
}

export interface ModelSource {
  /** Local file or directory to extract. */
  path: string;
  /** Set when the source was copied into model_store (deleted again on unregister). */
  downloaded?: string;
}

/** 404 with TorchServe's ModelNotFoundException type and a free-form message. */
export function modelNotFoundAt(message: string): ServeError {
  return new ServeError('NOT_FOUND', 'NSERVE_MODEL_NOT_FOUND', 'ModelNotFoundException', message);
}

const exists = (p: string): Promise<boolean> => stat(p).then(() => true, () => false);

export function urlAllowed(url: string, allowed: readonly RegExp[]): boolean {
  return allowed.some((re) => new RegExp(`^(?:${re.source})$`, re.flags.includes('i') ? re.flags : `${re.flags}i`).test(url));
}

export async function resolveModelSource(url: string, options: ModelSourceOptions): Promise<ModelSource> {
  if (url === '') throw modelNotFoundAt('empty url');
  const store = options.modelStore;
  if (/^(https?|file):\/\//i.test(url)) {
    if (!urlAllowed(url, options.allowedUrls)) throw modelNotFoundAt(`Given URL ${url} does not match any allowed URL(s)`);
    if (store === undefined) throw modelNotFoundAt('Model store has not been configured.');
    return download(url, store, options);
  }
  if (url.includes('..')) throw modelNotFoundAt(`Relative path is not allowed in url: ${url}`);
  if (store !== undefined && (await exists(join(store, url)))) return { path: join(store, url) };
  const direct = resolve(url);
  if ((await stat(direct).catch(() => undefined))?.isDirectory()) return { path: direct };
  if (store === undefined) throw modelNotFoundAt('Model store has not been configured.');
  throw modelNotFoundAt(`Model not found at: ${url}`);
}

async function download(url: string, store: string, options: ModelSourceOptions): Promise<ModelSource> {
  const failed = (cause?: unknown): DownloadArchiveError =>
    new DownloadArchiveError(`Failed to download archive from: ${url}`, cause === undefined ? undefined : { cause });
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw failed(err);
  }
  const fileName = basename(decodeURIComponent(parsed.pathname));
  if (fileName === '' || fileName === '.' || fileName === '..') throw failed();
  const dest = join(store, fileName);
  if (await exists(dest)) throw new InternalServerError(`Model file already exists ${fileName}`);
  try {
    if (parsed.protocol === 'file:') {
      await copyFile(fileURLToPath(parsed), dest);
    } else {
      const res = await (options.fetch ?? fetch)(url, { redirect: 'follow' });
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      const limit = options.maxDownloadBytes ?? 20 * 1024 ** 3;
      let seen = 0;
      const bound = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          seen += chunk.length;
          cb(seen > limit ? new Error(`download larger than ${limit} bytes`) : null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), bound, createWriteStream(dest, { flags: 'wx' }));
    }
  } catch (err) {
    await rm(dest, { force: true });
    throw failed(err);
  }
  return { path: dest, downloaded: dest };
}
