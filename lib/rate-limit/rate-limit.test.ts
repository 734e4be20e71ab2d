import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map.js';
import { rateLimitHeaders } from './headers.js';
import { clientIp, ruleForKey } from './policy.js';

describe('ruleForKey', () => {
  it('limits reads and writes separately with the documented defaults', () => {
    expect(ruleForKey({}, 'GET')).toEqual({ name: 'read', limit: 1000, windowMs: 60_000 });
    expect(ruleForKey({}, 'HEAD').name).toBe('read');
    expect(ruleForKey(null, 'POST')).toEqual({ name: 'write', limit: 300, windowMs: 60_000 });
  });

  it('takes a project’s own limits from its settings and ignores nonsense', () => {
    const settings = { rateLimit: { readsPerMinute: 50, writesPerMinute: 5 } };
    expect(ruleForKey(settings, 'GET').limit).toBe(50);
    expect(ruleForKey(settings, 'POST').limit).toBe(5);
    expect(ruleForKey({ rateLimit: { readsPerMinute: -1 } }, 'GET').limit).toBe(1000);
    expect(ruleForKey({ rateLimit: 'lots' }, 'GET').limit).toBe(1000);
  });
});

describe('clientIp', () => {
  it('takes the first hop of x-forwarded-for, then x-real-ip', () => {
    expect(clientIp(new Headers({ 'x-forwarded-for': '203.0.113.7, 10.0.0.1' }))).toBe('203.0.113.7');
    expect(clientIp(new Headers({ 'x-real-ip': '2001:db8::1' }))).toBe('2001:db8::1');
    expect(clientIp(new Headers())).toBe('unknown');
    expect(clientIp(new Headers({ 'x-forwarded-for': '<script>' }))).toBe('unknown');
  });
});

describe('rateLimitHeaders', () => {
  it('sends the draft headers, the X- trio, and Retry-After only on refusals', () => {
    const base = { limit: 10, remaining: 0, resetAtMs: 61_000, pending: Promise.resolve() };
    const refused = rateLimitHeaders({ ...base, allowed: false, reason: 'limit' }, 1_000);
    expect(refused).toMatchObject({ 'RateLimit-Limit': '10', 'RateLimit-Remaining': '0', 'RateLimit-Reset': '60', 'Retry-After': '60', 'X-RateLimit-Reset': '61' });
    // A refusal that says when a request will pass: later than the window's end, with a sliding window.
    const later = rateLimitHeaders({ ...base, allowed: false, reason: 'limit', retryAtMs: 61_001 }, 1_000);
    expect(later).toMatchObject({ 'RateLimit-Reset': '61', 'Retry-After': '61', 'X-RateLimit-Reset': '62' });
    const allowed = rateLimitHeaders({ ...base, remaining: 4, allowed: true, reason: 'ok' }, 1_000);
    expect(allowed['Retry-After']).toBeUndefined();
    expect(allowed['X-RateLimit-Remaining']).toBe('4');
  });
});

describe('BoundedMap', () => {
  it('is a Map that keeps only its newest entries', () => {
    const map = new BoundedMap<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c', 'd'].entries()) map.set(k, i);
    expect(map).toBeInstanceOf(Map);
    expect([...map.keys()]).toEqual(['b', 'c', 'd']);
    map.set('b', 9);
    map.set('e', 5);
    expect([...map.keys()]).toEqual(['d', 'b', 'e']);
  });
});
