/**
 * TorchServe's token authorization (0.11+; torchserve.md §5), transport-free.
 *
 * Three keys: `inference` (inference listener), `management` (management listener), and `API`
 * (only for refreshing the other two through `/token`). Inference and management keys expire
 * `expirationMin` minutes after they were generated; the API key never expires. Every key is
 * written to `key_file.json` (pretty JSON, TorchServe's layout and key order, mode 0600) at
 * `start()` and after each refresh; clients read their key from there and send
 * `Authorization: Bearer <key>`.
 *
 * Failures throw `UnauthenticatedError` (REST 400 `InvalidKeyException`, gRPC
 * PERMISSION_DENIED, through each transport's one mapping). Comparison is constant-time.
 *
 * Deliberate difference: keys are 24 random bytes (32 URL-safe Base64 characters) instead of
 * TorchServe's 6 bytes (8 characters); the alphabet and the file format are unchanged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { ConfigError, UnauthenticatedError } from '../errors/index.js';

export type TokenKind = 'inference' | 'management';

/** TorchServe's messages: "Authorization" on the APIs, "Authentication" on `/token`. */
export const AUTHORIZATION_FAILED = 'Token Authorization failed. Token either incorrect, expired, or not provided correctly';
export const AUTHENTICATION_FAILED = 'Token Authentication failed. Token either incorrect, expired, or not provided correctly';

export interface TokenAuthOptions {
  /** False with `disable_token_authorization=true` / `--disable-token-auth`. */
  enabled: boolean;
  /** Where `key_file.json` is written (TorchServe: the server's working directory). */
  keyFile: string;
  /** `token_expiration_min` / `TS_TOKEN_EXPIRATION_TIME_MIN`; default 60. */
  expirationMin?: number;
  /** Epoch ms (tests). */
  now?: () => number;
  /** Key generator (tests). */
  generateKey?: () => string;
}

export interface TokenKey {
  key: string;
  /** Epoch ms; absent for the API key. */
  expiresAt?: number;
}

export interface TokenKeys {
  management: TokenKey;
  inference: TokenKey;
  API: TokenKey;
}

export interface TokenAuth {
  readonly enabled: boolean;
  readonly keyFile: string;
  /** Writes the key file (no-op when disabled). */
  start(): Promise<void>;
  /** Throws `UnauthenticatedError` unless `authorization` is `Bearer <valid unexpired key of kind>`. */
  validate(kind: TokenKind, authorization: string | undefined): void;
  /**
   * `/token?type=<type>`: with the API key, regenerates the `type` key (new expiry) and rewrites
   * the key file; otherwise throws `UnauthenticatedError` ("Token Authentication failed …").
   */
  refresh(type: unknown, authorization: string | undefined): Promise<void>;
  /** Current keys (for the start-up banner and tests). */
  keys(): Readonly<TokenKeys>;
  /** Calls `listener` after every refresh with the kind and its new key (front-end threads copy it). */
  onRefresh(listener: (kind: TokenKind, key: TokenKey) => void): void;
  /** Deletes the key file (as `torchserve --stop` does). */
  close(): Promise<void>;
}

const BEARER = /^Bearer\s+(\S+)$/;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time equality that does not leak the length either. */
function sameKey(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/** `token` is `key` and `key` has not expired at `now` (epoch ms). */
function validKey(key: TokenKey, token: string | undefined, now: number): boolean {
  if (token === undefined) return false;
  const matches = sameKey(token, key.key);
  return matches && (key.expiresAt === undefined || now < key.expiresAt);
}

/** A copy of one key kind's check, for a thread that does not own the keys (a front-end thread). */
export interface KeyMirror {
  validate(kind: TokenKind, authorization: string | undefined): void;
  /** The owner generated a new key (`/token`). */
  update(key: TokenKey): void;
}

export function createKeyMirror(kind: TokenKind, initial: TokenKey, now: () => number = Date.now): KeyMirror {
  let key = initial;
  return {
    validate(asked, authorization) {
      if (asked !== kind || !validKey(key, bearerToken(authorization), now())) throw new UnauthenticatedError(AUTHORIZATION_FAILED);
    },
    update(next) {
      key = next;
    },
  };
}

/** TorchServe's `key_file.json` text. */
export function keyFileText(keys: TokenKeys): string {
  const iso = (ms: number | undefined) => new Date(ms ?? 0).toISOString();
  const body = {
    management: { key: keys.management.key, 'expiration time': iso(keys.management.expiresAt) },
    inference: { key: keys.inference.key, 'expiration time': iso(keys.inference.expiresAt) },
    API: { key: keys.API.key },
  };
  return `${JSON.stringify(body, null, 2)}\n`;
}

export function createTokenAuth(options: TokenAuthOptions): TokenAuth {
  const expirationMin = options.expirationMin ?? 60;
  if (!Number.isFinite(expirationMin) || expirationMin <= 0) {
    throw new ConfigError('token_expiration_min', String(options.expirationMin), 'a positive number of minutes');
  }
  const now = options.now ?? Date.now;
  const generate = options.generateKey ?? (() => randomBytes(24).toString('base64url'));
  const ttl = expirationMin * 60_000;
  const fresh = (): TokenKey => ({ key: generate(), expiresAt: now() + ttl });
  const keys: TokenKeys = { management: fresh(), inference: fresh(), API: { key: generate() } };
  const { keyFile, enabled } = options;
  const listeners: ((kind: TokenKind, key: TokenKey) => void)[] = [];

  async function writeKeyFile(): Promise<void> {
    const tmp = `${keyFile}.${process.pid}.tmp`;
    await writeFile(tmp, keyFileText(keys), { mode: 0o600 });
    await rename(tmp, keyFile);
  }

  const valid = (key: TokenKey, token: string | undefined): boolean => validKey(key, token, now());

  return {
    enabled,
    keyFile,
    async start() {
      if (enabled) await writeKeyFile();
    },
    validate(kind, authorization) {
      if (!enabled) return;
      if (!valid(keys[kind], bearerToken(authorization))) throw new UnauthenticatedError(AUTHORIZATION_FAILED);
    },
    async refresh(type, authorization) {
      if (!enabled) return;
      if ((type !== 'management' && type !== 'inference') || !valid(keys.API, bearerToken(authorization))) {
        throw new UnauthenticatedError(AUTHENTICATION_FAILED);
      }
      keys[type] = fresh();
      for (const listener of listeners) listener(type, keys[type]);
      await writeKeyFile();
    },
    keys: () => keys,
    onRefresh(listener) {
      listeners.push(listener);
    },
    async close() {
      if (enabled) await rm(keyFile, { force: true });
    },
  };
}
