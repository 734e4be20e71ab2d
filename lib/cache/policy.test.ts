import { describe, expect, it } from 'vitest';
import { CACHE_POLICIES, cachePolicy } from './policy.js';

describe('cachePolicy', () => {
  it('defaults the stale window to 0 and the grace window to the stale window', () => {
    expect(cachePolicy({ ttlMs: 1000 })).toEqual({ ttlMs: 1000, staleMs: 0, graceMs: 0 });
    expect(cachePolicy({ ttlMs: 1000, staleMs: 500 })).toEqual({ ttlMs: 1000, staleMs: 500, graceMs: 500 });
  });

  it('refuses a non-positive TTL, a negative stale window and a grace window shorter than it', () => {
    expect(() => cachePolicy({ ttlMs: 0 })).toThrow(/ttlMs/);
    expect(() => cachePolicy({ ttlMs: 1, staleMs: -1 })).toThrow(/staleMs/);
    expect(() => cachePolicy({ ttlMs: 1, staleMs: 10, graceMs: 5 })).toThrow(/graceMs/);
  });

  it('returns a frozen policy', () => {
    expect(Object.isFrozen(cachePolicy({ ttlMs: 1 }))).toBe(true);
  });
});

describe('CACHE_POLICIES', () => {
  it('holds the agreed TTLs', () => {
    const ttls = Object.fromEntries(Object.entries(CACHE_POLICIES).map(([name, p]) => [name, p.ttlMs / 1000]));
    expect(ttls).toEqual({ overview: 30, stats: 60, experts: 300, reports: 30, reflexions: 30, runs: 5, prices: 300, budgets: 10, prompts: 300, experiments: 300, experimentResults: 30, auth: 300 });
  });

  it('never keeps a value past its grace window for longer than an hour', () => {
    for (const policy of Object.values(CACHE_POLICIES)) expect(policy.ttlMs + policy.graceMs).toBeLessThanOrEqual(65 * 60_000);
  });
});
