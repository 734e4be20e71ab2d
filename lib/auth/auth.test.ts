import { describe, expect, it } from 'vitest';
import { bearerToken } from './bearer.js';
import { timingSafeEqualString } from './constant-time.js';
import { displayPrefix, generateApiKey, looksLikeApiKey, sha256Hex, sha256HexSync } from './api-key.js';

describe('API keys', () => {
  it('generates keys in the documented format, each one different', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).toMatch(/^iris_sk_[A-Za-z0-9_-]{43}$/);
    expect(looksLikeApiKey(a)).toBe(true);
    expect(a).not.toBe(b);
  });

  it('hashes with SHA-256 to lower-case hex', async () => {
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes synchronously on Node to the same digest as Web Crypto', async () => {
    const key = generateApiKey();
    const web = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key))), (b) => b.toString(16).padStart(2, '0')).join('');
    expect(sha256HexSync(key)).toBe(web);
  });

  it('keeps only a short display prefix', () => {
    const key = generateApiKey();
    expect(displayPrefix(key)).toHaveLength(14);
    expect(key.startsWith(displayPrefix(key))).toBe(true);
  });

  it('rejects strings that are not keys', () => {
    expect(looksLikeApiKey('iris_sk_short')).toBe(false);
    expect(looksLikeApiKey(`iris_sk_${'a'.repeat(42)}'`)).toBe(false);
    expect(looksLikeApiKey(`sk_${'a'.repeat(48)}`)).toBe(false);
  });
});

describe('timingSafeEqualString', () => {
  it('is true only for identical strings', () => {
    expect(timingSafeEqualString('abc', 'abc')).toBe(true);
    expect(timingSafeEqualString('abc', 'abd')).toBe(false);
    expect(timingSafeEqualString('abc', 'abcd')).toBe(false);
    expect(timingSafeEqualString('', '')).toBe(true);
  });
});

describe('bearerToken', () => {
  it('reads the credentials of a Bearer header, case-insensitively', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer   xyz')).toBe('xyz');
  });

  it('returns null for other schemes and malformed headers', () => {
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Basic dXNlcg==')).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken('Bearer\r\nX-Injected: 1')).toBeNull();
  });
});
