import { describe, expect, it } from 'vitest';
import { cacheOutcome, failureReason, serverTimingMs } from './response-meta.js';

describe('cacheOutcome', () => {
  it('counts fresh, stale and coalesced answers of Iris as hits', () => {
    for (const v of ['HIT-L1', 'HIT-L2', 'STALE', 'STALE-ERROR', 'COALESCED']) expect(cacheOutcome(v, undefined), v).toBe('hit');
    expect(cacheOutcome('MISS', undefined)).toBe('miss');
    expect(cacheOutcome('BYPASS', undefined)).toBe('bypass');
  });

  it('counts a hit of either cache as a hit', () => {
    expect(cacheOutcome('MISS', 'HIT')).toBe('hit');
    expect(cacheOutcome('HIT-L2', 'MISS')).toBe('hit');
    expect(cacheOutcome(undefined, 'PRERENDER')).toBe('hit');
    expect(cacheOutcome(undefined, 'REVALIDATED')).toBe('miss');
  });

  it('says nothing when no cache header says anything', () => {
    expect(cacheOutcome(undefined, undefined)).toBeNull();
    expect(cacheOutcome('something-else', undefined)).toBeNull();
  });
});

describe('serverTimingMs', () => {
  it('reads the duration of the named metric', () => {
    expect(serverTimingMs('auth;dur=1.2, cache;desc="MISS";dur=0.1, db;dur=12.3', 'db')).toBe(12.3);
    expect(serverTimingMs('db;desc="rpc";dur="4"', 'db')).toBe(4);
  });

  it('returns null when the header, the metric or its duration is missing', () => {
    expect(serverTimingMs(undefined, 'db')).toBeNull();
    expect(serverTimingMs('cache;dur=1', 'db')).toBeNull();
    expect(serverTimingMs('db;desc="x"', 'db')).toBeNull();
    expect(serverTimingMs('db;dur=-1', 'db')).toBeNull();
  });
});

describe('failureReason', () => {
  it('names network failures by their code and HTTP failures by status and error code', () => {
    expect(failureReason(0, 'ECONNRESET', null)).toBe('ECONNRESET');
    expect(failureReason(503, null, '{"error":{"code":"service_unavailable"}}')).toBe('503 service_unavailable');
    expect(failureReason(500, null, '<html>oops</html>')).toBe('500');
    expect(failureReason(404, null, '{"error":{"code":"has spaces and more"}}')).toBe('404');
  });
});
