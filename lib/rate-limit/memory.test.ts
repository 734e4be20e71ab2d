import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rateLimitHeaders } from './headers.js';
import { runRateLimiterContract } from './contract.js';
import { createMemoryRateLimiter } from './memory.js';

runRateLimiterContract('memory', () => {
  let offset = 0;
  const now = () => Date.now() + offset;
  return {
    limiter: createMemoryRateLimiter({ now }),
    now,
    windowMs: 1_000,
    async elapse(ms) {
      offset += ms;
    },
    async alignToWindow(windowMs) {
      offset += windowMs - ((Date.now() + offset) % windowMs);
    },
  };
});

describe('the memory limiter', () => {
  it('weights the previous window by how much of it still overlaps', async () => {
    let now = 60_000 * 10;
    const limiter = createMemoryRateLimiter({ now: () => now });
    const rule = { name: 'read' as const, limit: 10, windowMs: 60_000 };
    for (let i = 0; i < 10; i++) expect((await limiter.check(rule, 'k')).allowed).toBe(true);
    expect((await limiter.check(rule, 'k')).allowed).toBe(false);
    now += 60_000 + 30_000; // half-way into the next window: 10 * 0.5 = 5 still count
    const allowed = [];
    for (let i = 0; i < 10; i++) allowed.push((await limiter.check(rule, 'k')).allowed);
    expect(allowed.filter(Boolean)).toHaveLength(5);
  });

  it('tells a refused client the first millisecond at which a request passes, and Retry-After is never earlier', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.constantFrom(1_000, 10_000, 60_000),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (limit, windowMs, previousShare, previousAt, refusedAt) => {
          let now = windowMs * 1_000;
          const limiter = createMemoryRateLimiter({ now: () => now });
          const rule = { name: 'read' as const, limit, windowMs };
          // Some use in the previous window, then requests in this one until one is refused.
          now += Math.floor(previousAt * windowMs);
          for (let i = 0; i < Math.round(previousShare * limit); i++) limiter.checkNow!(rule, 'k');
          now = windowMs * 1_001 + Math.floor(refusedAt * windowMs);
          let refused = limiter.checkNow!(rule, 'k');
          for (let i = 0; refused.allowed && i <= limit; i++) refused = limiter.checkNow!(rule, 'k');
          expect(refused.allowed).toBe(false);
          const { retryAtMs } = refused;
          expect(retryAtMs).toBeGreaterThan(now);
          const retryAfterS = Number(rateLimitHeaders(refused, now)['Retry-After']);
          const refusedNow = now;
          // One millisecond earlier is still refused (a refused request counts nothing, so this changes nothing).
          now = retryAtMs! - 1;
          if (now > refusedNow) expect(limiter.checkNow!(rule, 'k').allowed).toBe(false);
          // Waiting Retry-After from the refusal lets the next request through.
          now = refusedNow + retryAfterS * 1000;
          expect(now).toBeGreaterThanOrEqual(retryAtMs!);
          expect(limiter.checkNow!(rule, 'k').allowed).toBe(true);
        },
      ),
      { numRuns: 500, seed: 11 },
    );
  });

  it('says when a client refused right after filling its budget may come back: later than the end of the window', () => {
    const windowMs = 60_000;
    let now = windowMs * 100 + 1_000;
    const limiter = createMemoryRateLimiter({ now: () => now });
    const rule = { name: 'read' as const, limit: 20, windowMs };
    for (let i = 0; i < 20; i++) expect(limiter.checkNow!(rule, 'k').allowed).toBe(true);
    const refused = limiter.checkNow!(rule, 'k');
    // The window ends in 59 s; right after it, the previous window's 20 requests still count in full.
    expect(rateLimitHeaders(refused, now)).toMatchObject({ 'Retry-After': '60', 'RateLimit-Reset': '60' });
    now = refused.resetAtMs;
    expect(limiter.checkNow!(rule, 'k').allowed).toBe(false);
    now = refused.retryAtMs!;
    expect(limiter.checkNow!(rule, 'k').allowed).toBe(true);
  });

  it('forgets the least recently used identifiers beyond its bound', async () => {
    const limiter = createMemoryRateLimiter({ maxIdentifiers: 100, now: () => 0 });
    const rule = { name: 'ip' as const, limit: 1, windowMs: 60_000 };
    await limiter.check(rule, 'first');
    for (let i = 0; i < 200; i++) await limiter.check(rule, `other-${i}`);
    // 'first' was evicted, so its budget starts over: bounded memory over exact memory.
    expect((await limiter.check(rule, 'first')).allowed).toBe(true);
  });

  it('decides synchronously with checkNow from the same budget check spends', async () => {
    const limiter = createMemoryRateLimiter({ now: () => 0 });
    const rule = { name: 'read' as const, limit: 3, windowMs: 60_000 };
    expect(limiter.checkNow?.(rule, 'k')).toMatchObject({ allowed: true, remaining: 2 });
    expect(await limiter.check(rule, 'k')).toMatchObject({ allowed: true, remaining: 1 });
    expect(limiter.checkNow?.(rule, 'k')).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.checkNow?.(rule, 'k')).toMatchObject({ allowed: false, reason: 'limit' });
  });

  it('keeps at most eight rules per identifier, forgetting the oldest', async () => {
    const limiter = createMemoryRateLimiter({ now: () => 0 });
    const rules = Array.from({ length: 9 }, (_, i) => ({ name: 'read' as const, limit: i + 1, windowMs: 60_000 }));
    for (const rule of rules) await limiter.check(rule, 'k');
    // The second (limit 2) is still remembered: this is its last request.
    expect(await limiter.check(rules[1]!, 'k')).toMatchObject({ allowed: true, remaining: 0 });
    // The first (limit 1) was used up, then forgotten when the ninth arrived: it starts over.
    expect((await limiter.check(rules[0]!, 'k')).allowed).toBe(true);
  });
});
