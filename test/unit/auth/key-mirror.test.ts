/**
 * A front-end thread's copy of one token key (src/auth/token-auth.ts, `createKeyMirror`): it
 * accepts `Bearer <key>` for its own kind while the key is unexpired, refuses everything else
 * with `UnauthenticatedError`, and after `update()` accepts the new key only.
 */
import { describe, expect, it } from 'vitest';
import { AUTHORIZATION_FAILED, createKeyMirror } from '../../../src/auth/token-auth.js';
import { UnauthenticatedError } from '../../../src/errors/index.js';

const KEY = 'Xq3v_8JtYbE-0cRk2sLmNp4wZa6dFh1G';
const OTHER = 'a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuV';

describe('createKeyMirror', () => {
  it('accepts Bearer <key> for its kind', () => {
    const mirror = createKeyMirror('inference', { key: KEY });
    expect(() => mirror.validate('inference', `Bearer ${KEY}`)).not.toThrow();
  });

  it('refuses the other kind, a wrong or malformed key, and no header, with UnauthenticatedError', () => {
    const mirror = createKeyMirror('inference', { key: KEY });
    expect(() => mirror.validate('management', `Bearer ${KEY}`)).toThrow(UnauthenticatedError);
    for (const header of [undefined, '', KEY, `bearer ${KEY}`, `Bearer ${OTHER}`, `Bearer ${KEY}x`, `Bearer ${KEY.slice(1)}`, `Bearer ${KEY} extra`]) {
      expect(() => mirror.validate('inference', header)).toThrow(UnauthenticatedError);
    }
    expect(() => mirror.validate('inference', `Bearer ${OTHER}`)).toThrow(AUTHORIZATION_FAILED);
  });

  it('a management mirror accepts only management requests', () => {
    const mirror = createKeyMirror('management', { key: KEY });
    expect(() => mirror.validate('management', `Bearer ${KEY}`)).not.toThrow();
    expect(() => mirror.validate('inference', `Bearer ${KEY}`)).toThrow(UnauthenticatedError);
  });

  it('refuses the key from its expiry on', () => {
    let clock = 1_000_000;
    const mirror = createKeyMirror('inference', { key: KEY, expiresAt: 1_060_000 }, () => clock);
    expect(() => mirror.validate('inference', `Bearer ${KEY}`)).not.toThrow();
    clock = 1_059_999;
    expect(() => mirror.validate('inference', `Bearer ${KEY}`)).not.toThrow();
    clock = 1_060_000;
    expect(() => mirror.validate('inference', `Bearer ${KEY}`)).toThrow(UnauthenticatedError);
  });

  it('after update() accepts the new key and refuses the old one; the new expiry applies', () => {
    let clock = 0;
    const mirror = createKeyMirror('inference', { key: KEY, expiresAt: 100 }, () => clock);
    clock = 150; // the old key expired; its refresh arrives
    mirror.update({ key: OTHER, expiresAt: 250 });
    expect(() => mirror.validate('inference', `Bearer ${OTHER}`)).not.toThrow();
    expect(() => mirror.validate('inference', `Bearer ${KEY}`)).toThrow(UnauthenticatedError);
    clock = 250;
    expect(() => mirror.validate('inference', `Bearer ${OTHER}`)).toThrow(UnauthenticatedError);
  });
});
