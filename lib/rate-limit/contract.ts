import { describe, expect, it } from 'vitest';
import type { RateLimiter, RateLimitRule } from './types.js';

export interface RateLimiterContractSubject {
  limiter: RateLimiter;
  /** Moves the limiter's clock forward (memory), or waits for real time (Redis). */
  elapse(ms: number): Promise<void>;
  /** A window short enough to wait out in this subject. */
  windowMs: number;
  /** Brings the clock to at least 5 s before the end of a `windowMs` window (memory: moves it; Redis: waits). */
  alignToWindow(windowMs: number): Promise<void>;
  /** The limiter's clock, when it is not the real one. @default Date.now */
  now?: () => number;
}

/** Waits (real clock) until at least 5 s remain in the current fixed window. */
export async function waitForWindowStart(windowMs: number): Promise<void> {
  while (Date.now() % windowMs > windowMs - 5_000) await new Promise((resolve) => setTimeout(resolve, 250));
}

/**
 * The behaviour every RateLimiter must have. Runs against the in-memory limiter
 * (injected clock) and @upstash/ratelimit on a real redis-server through the
 * Upstash REST bridge (real clock).
 */
export function runRateLimiterContract(name: string, make: () => Promise<RateLimiterContractSubject> | RateLimiterContractSubject): void {
  describe(`RateLimiter contract: ${name}`, () => {
    const id = () => `contract-${crypto.randomUUID()}`;

    it('allows exactly N of N+k concurrent requests in one window', async () => {
      const { limiter, alignToWindow } = await make();
      const rule: RateLimitRule = { name: 'read', limit: 25, windowMs: 60_000 };
      // Stay clear of a window boundary so the burst falls in one fixed window.
      await alignToWindow(rule.windowMs);
      const who = id();
      const decisions = await Promise.all(Array.from({ length: 25 + 15 }, () => limiter.check(rule, who)));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(25);
      const refused = decisions.filter((d) => !d.allowed);
      expect(refused).toHaveLength(15);
      for (const d of refused) {
        expect(['limit', 'cache_block']).toContain(d.reason);
        expect(d.remaining).toBe(0);
      }
    });

    it('reports the limit, what remains and when the window resets', async () => {
      const { limiter } = await make();
      const rule: RateLimitRule = { name: 'write', limit: 3, windowMs: 60_000 };
      const who = id();
      const first = await limiter.check(rule, who);
      expect(first).toMatchObject({ allowed: true, reason: 'ok', limit: 3, remaining: 2 });
      expect(first.resetAtMs).toBeGreaterThan(Date.now() - 1000);
      expect(first.resetAtMs).toBeLessThanOrEqual(Date.now() + 60_000 + 1000);
      await first.pending;
    });

    it('keeps identifiers and rules apart', async () => {
      const { limiter } = await make();
      const rule: RateLimitRule = { name: 'read', limit: 1, windowMs: 60_000 };
      const a = id();
      expect((await limiter.check(rule, a)).allowed).toBe(true);
      expect((await limiter.check(rule, a)).allowed).toBe(false);
      expect((await limiter.check(rule, id())).allowed).toBe(true);
      expect((await limiter.check({ ...rule, name: 'write' }, a)).allowed).toBe(true);
    });

    it('lets the next request through once the refusal\'s retryAtMs has come, and no earlier than its window ends', async () => {
      const subject = await make();
      const rule: RateLimitRule = { name: 'ip', limit: 3, windowMs: subject.windowMs };
      // Four requests in a row, refused on the fourth; on a real clock they may straddle a window boundary, then again.
      let who = id();
      let refused: Awaited<ReturnType<RateLimiter['check']>> | undefined;
      for (let attempt = 0; attempt < 5 && refused === undefined; attempt++) {
        who = id();
        const decisions = [];
        for (let i = 0; i < 4; i++) decisions.push(await subject.limiter.check(rule, who));
        if (decisions.slice(0, 3).every((d) => d.allowed) && !decisions[3]!.allowed) refused = decisions[3];
      }
      expect(refused).toBeDefined();
      expect(refused!.retryAtMs).toBeGreaterThanOrEqual(refused!.resetAtMs);
      // Wait until then (the subject's clock, or real time), then ask again. A real timer may fire a millisecond
      // before the wall clock says its time has come, so the wait goes on until the clock has reached retryAtMs.
      const clock = () => subject.now?.() ?? Date.now();
      await subject.elapse(Math.max(0, refused!.retryAtMs! - clock()));
      while (clock() < refused!.retryAtMs!) await subject.elapse(1);
      expect((await subject.limiter.check(rule, who)).allowed).toBe(true);
    });

    it('lets requests through again once the window has slid past them', async () => {
      const subject = await make();
      const rule: RateLimitRule = { name: 'ip', limit: 2, windowMs: subject.windowMs };
      const who = id();
      await subject.limiter.check(rule, who);
      await subject.limiter.check(rule, who);
      expect((await subject.limiter.check(rule, who)).allowed).toBe(false);
      // Two full windows later neither the current nor the previous window holds a request.
      await subject.elapse(subject.windowMs * 2 + 50);
      expect((await subject.limiter.check(rule, who)).allowed).toBe(true);
    });
  });
}
