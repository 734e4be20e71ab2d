import { describe, expect, it } from 'vitest';
import { idempotencyKeyHash, requestFingerprint } from './fingerprint.js';

describe('requestFingerprint', () => {
  it('is the same for the same method, path and body, in 64 hex characters', async () => {
    const a = await requestFingerprint('POST', '/api/iris/runs', [{ expertId: 'planner', latencyMs: 1 }]);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await requestFingerprint('post', '/api/iris/runs', [{ expertId: 'planner', latencyMs: 1.0 }])).toBe(a);
  });

  it('differs when the method, the path or any part of the body differs', async () => {
    const base = await requestFingerprint('POST', '/api/iris/experts/a/usage', { x: 1 });
    expect(await requestFingerprint('PUT', '/api/iris/experts/a/usage', { x: 1 })).not.toBe(base);
    expect(await requestFingerprint('POST', '/api/iris/experts/b/usage', { x: 1 })).not.toBe(base);
    expect(await requestFingerprint('POST', '/api/iris/experts/a/usage', { x: 2 })).not.toBe(base);
  });

  it('tells an absent body from an empty object', async () => {
    expect(await requestFingerprint('POST', '/p', undefined)).toBe(await requestFingerprint('POST', '/p', null));
    expect(await requestFingerprint('POST', '/p', undefined)).not.toBe(await requestFingerprint('POST', '/p', {}));
  });
});

describe('idempotencyKeyHash', () => {
  it('is the SHA-256 of the key, so the key itself is never stored', async () => {
    // SHA-256("abc"), FIPS 180-2 appendix B.1.
    expect(await idempotencyKeyHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
