import { describe, expect, it } from 'vitest';
import { parseCacheControl, privateCacheControl, publicCacheControl, requestCacheDirectives } from './cache-control.js';

describe('privateCacheControl', () => {
  it('builds private, max-age and stale-while-revalidate', () => {
    expect(privateCacheControl({ maxAgeS: 30, staleWhileRevalidateS: 60 })).toBe(
      'private, max-age=30, stale-while-revalidate=60',
    );
  });

  it('leaves stale-while-revalidate out when it is zero or absent', () => {
    expect(privateCacheControl({ maxAgeS: 5 })).toBe('private, max-age=5');
    expect(privateCacheControl({ maxAgeS: 5, staleWhileRevalidateS: 0 })).toBe('private, max-age=5');
  });

  it('never says public or s-maxage', () => {
    const value = privateCacheControl({ maxAgeS: 300, staleWhileRevalidateS: 300 });
    expect(value).not.toMatch(/public|s-maxage/);
  });

  it('floors fractions and refuses negative or infinite durations', () => {
    expect(privateCacheControl({ maxAgeS: 2.9 })).toBe('private, max-age=2');
    expect(() => privateCacheControl({ maxAgeS: -1 })).toThrow(/maxAgeS/);
    expect(() => privateCacheControl({ maxAgeS: 1, staleWhileRevalidateS: Infinity })).toThrow(/staleWhileRevalidateS/);
  });
});

describe('publicCacheControl', () => {
  it('may carry s-maxage, stale-while-revalidate and stale-if-error', () => {
    expect(publicCacheControl({ maxAgeS: 5, sMaxAgeS: 30, staleWhileRevalidateS: 10, staleIfErrorS: 600 })).toBe(
      'public, max-age=5, s-maxage=30, stale-while-revalidate=10, stale-if-error=600',
    );
  });
});

describe('parseCacheControl', () => {
  it('lower-cases names, unquotes values and keeps the first occurrence', () => {
    const parsed = parseCacheControl('No-Cache, MAX-AGE="10", max-age=99, private');
    expect(parsed.get('no-cache')).toBe(true);
    expect(parsed.get('max-age')).toBe('10');
    expect(parsed.get('private')).toBe(true);
  });

  it('skips malformed members', () => {
    expect([...parseCacheControl(' , =5, no cache, no-store').keys()]).toEqual(['no-store']);
  });
});

describe('requestCacheDirectives', () => {
  it('asks for revalidation on Cache-Control: no-cache', () => {
    expect(requestCacheDirectives('no-cache', null)).toEqual({ revalidate: true });
  });

  it('asks for revalidation on max-age=0', () => {
    expect(requestCacheDirectives('max-age=0', null).revalidate).toBe(true);
    expect(requestCacheDirectives('max-age=10', null).revalidate).toBe(false);
  });

  it('honours Pragma: no-cache only when Cache-Control is absent (RFC 9111 §5.4)', () => {
    expect(requestCacheDirectives(null, 'no-cache').revalidate).toBe(true);
    expect(requestCacheDirectives('', 'No-Cache').revalidate).toBe(true);
    expect(requestCacheDirectives('max-age=10', 'no-cache').revalidate).toBe(false);
  });

  it('does not ask for revalidation without those directives', () => {
    expect(requestCacheDirectives(null, null).revalidate).toBe(false);
    expect(requestCacheDirectives('no-store', 'x-other').revalidate).toBe(false);
  });
});
