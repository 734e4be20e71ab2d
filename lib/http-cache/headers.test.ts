import { describe, expect, it } from 'vitest';
import { cachedResponseHeaders } from './headers.js';
import { isXCacheStatus, X_CACHE_STATUSES } from './x-cache.js';

describe('cachedResponseHeaders', () => {
  it('sends ETag, X-Cache, Cache-Control and Age in whole seconds', () => {
    expect(
      cachedResponseHeaders({ etag: '"t"', status: 'HIT-L2', ageMs: 12_999, cacheControl: 'private, max-age=30' }),
    ).toEqual({ ETag: '"t"', 'X-Cache': 'HIT-L2', 'Cache-Control': 'private, max-age=30', Age: '12' });
  });

  it('never sends a negative Age when clocks disagree', () => {
    expect(cachedResponseHeaders({ etag: '"t"', status: 'MISS', ageMs: -50, cacheControl: 'x' }).Age).toBe('0');
  });
});

describe('isXCacheStatus', () => {
  it('accepts exactly the X-Cache vocabulary', () => {
    for (const status of X_CACHE_STATUSES) expect(isXCacheStatus(status)).toBe(true);
    expect(isXCacheStatus('HIT')).toBe(false);
    expect(isXCacheStatus(1)).toBe(false);
  });
});
