import { describe, expect, it } from 'vitest';
import { runRateLimiterContract } from './contract.js';
import { createMemoryRateLimiter } from './memory.js';

runRateLimiterContract('memory', () => {
  let offset = 0;
  return {
    limiter: createMemoryRateLimiter({ now: () => Date.now() + offset }),
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
