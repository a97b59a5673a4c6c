import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, UnauthenticatedError } from '../../../src/errors/index.js';
import { AUTHENTICATION_FAILED, AUTHORIZATION_FAILED, bearerToken, createTokenAuth } from '../../../src/auth/token-auth.js';

let dir: string;
let clock: number;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nserve-auth-'));
  clock = Date.parse('2024-02-16T20:12:24.801Z');
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const make = (enabled = true, expirationMin = 60) => createTokenAuth({ enabled, keyFile: join(dir, 'key_file.json'), expirationMin, now: () => clock });

describe('token auth', () => {
  it('writes key_file.json in TorchServe\'s layout, key order and mode 0600', async () => {
    const auth = make();
    await auth.start();
    const text = await readFile(auth.keyFile, 'utf8');
    const keys = auth.keys();
    expect(text).toBe(
      `{\n  "management": {\n    "key": "${keys.management.key}",\n    "expiration time": "2024-02-16T21:12:24.801Z"\n  },\n` +
        `  "inference": {\n    "key": "${keys.inference.key}",\n    "expiration time": "2024-02-16T21:12:24.801Z"\n  },\n` +
        `  "API": {\n    "key": "${keys.API.key}"\n  }\n}\n`,
    );
    expect((await stat(auth.keyFile)).mode & 0o777).toBe(0o600);
    for (const k of [keys.management.key, keys.inference.key, keys.API.key]) expect(k).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(new Set([keys.management.key, keys.inference.key, keys.API.key]).size).toBe(3);
  });

  it('accepts only "Bearer <key>" with the key of the right kind, unexpired', () => {
    const auth = make(true, 1);
    const { inference, management } = auth.keys();
    expect(() => auth.validate('inference', `Bearer ${inference.key}`)).not.toThrow();
    expect(() => auth.validate('inference', `Bearer   ${inference.key}`)).not.toThrow();
    for (const header of [undefined, '', inference.key, `bearer ${inference.key}`, `Bearer ${management.key}`, `Bearer ${inference.key}x`, `Bearer ${inference.key} x`]) {
      expect(() => auth.validate('inference', header)).toThrow(UnauthenticatedError);
    }
    expect(() => auth.validate('management', `Bearer ${inference.key}`)).toThrow(AUTHORIZATION_FAILED);
    clock += 60_000; // token_expiration_min = 1
    expect(() => auth.validate('inference', `Bearer ${inference.key}`)).toThrow(AUTHORIZATION_FAILED);
  });

  it('refreshes one key with the API key: new key, new expiry, file rewritten, old key refused', async () => {
    const auth = make();
    await auth.start();
    const old = auth.keys().inference.key;
    const mgmt = auth.keys().management.key;
    clock += 30 * 60_000;
    await auth.refresh('inference', `Bearer ${auth.keys().API.key}`);
    const fresh = auth.keys().inference;
    expect(fresh.key).not.toBe(old);
    expect(fresh.expiresAt).toBe(clock + 60 * 60_000);
    expect(auth.keys().management.key).toBe(mgmt);
    expect(JSON.parse(await readFile(auth.keyFile, 'utf8')).inference.key).toBe(fresh.key);
    expect(() => auth.validate('inference', `Bearer ${old}`)).toThrow(UnauthenticatedError);
    expect(() => auth.validate('inference', `Bearer ${fresh.key}`)).not.toThrow();
  });

  it('refuses refresh with a wrong key or type ("Token Authentication failed")', async () => {
    const auth = make();
    const api = `Bearer ${auth.keys().API.key}`;
    await expect(auth.refresh('inference', `Bearer ${auth.keys().management.key}`)).rejects.toThrow(AUTHENTICATION_FAILED);
    await expect(auth.refresh('API', api)).rejects.toThrow(AUTHENTICATION_FAILED);
    await expect(auth.refresh(undefined, api)).rejects.toThrow(UnauthenticatedError);
  });

  it('does nothing when disabled', async () => {
    const auth = make(false);
    await auth.start();
    expect(() => auth.validate('management', undefined)).not.toThrow();
    await expect(stat(auth.keyFile)).rejects.toThrow();
  });

  it('rejects a non-positive expiry and deletes the key file on close', async () => {
    expect(() => make(true, 0)).toThrow(ConfigError);
    const auth = make();
    await auth.start();
    await auth.close();
    await expect(stat(auth.keyFile)).rejects.toThrow();
  });

  it('parses the bearer header as TorchServe\'s regex', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
  });
});
