import { Ratelimit } from '@upstash/ratelimit';
import type { Redis } from '@upstash/redis';
import { BoundedMap } from './bounded-map.js';
import type { RateLimitDecision, RateLimiter, RateLimitRule } from './types.js';

export interface UpstashRateLimiterOptions {
  /** The shared client (`UpstashKv.redis`). */
  redis: Redis;
  /** Longest wait for Redis before the request is let through with reason `timeout`. @default 100 */
  timeoutMs?: number;
  /** Identifiers the per-instance block cache remembers. @default 10_000 */
  ephemeralCacheMaxEntries?: number;
  /** Distinct rules (limit and window pairs) kept built. @default 256 */
  maxRules?: number;
  /** Key prefix in Redis. @default 'iris:rl' */
  prefix?: string;
}

/**
 * The fleet-wide limiter: @upstash/ratelimit's sliding window in Redis. One
 * `Ratelimit` per distinct rule is built once per instance and reused; its
 * ephemeral cache answers identifiers already known to be blocked without a
 * round trip, and its `timeout` lets requests through when Redis is slow.
 */
export function createUpstashRateLimiter(options: UpstashRateLimiterOptions): RateLimiter {
  const timeout = options.timeoutMs ?? 100;
  const prefix = options.prefix ?? 'iris:rl';
  const limiters = new BoundedMap<string, Ratelimit>(options.maxRules ?? 256);
  const ephemeralMax = options.ephemeralCacheMaxEntries ?? 10_000;

  function limiterFor(rule: RateLimitRule): Ratelimit {
    const id = `${rule.name}:${rule.limit}:${rule.windowMs}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      limiter = new Ratelimit({
        redis: options.redis,
        limiter: Ratelimit.slidingWindow(rule.limit, `${rule.windowMs} ms`),
        prefix: `${prefix}:${id}`,
        ephemeralCache: new BoundedMap<string, number>(ephemeralMax),
        timeout,
        analytics: false,
      });
      limiters.set(id, limiter);
    }
    return limiter;
  }

  return {
    kind: 'upstash',
    async check(rule, identifier): Promise<RateLimitDecision> {
      try {
        const result = await limiterFor(rule).limit(identifier);
        const reason = result.reason === 'timeout' ? 'timeout' : result.reason === 'cacheBlock' ? 'cache_block' : result.success ? 'ok' : 'limit';
        const decision: RateLimitDecision = {
          allowed: result.success,
          reason,
          limit: result.limit,
          remaining: Math.max(0, result.remaining),
          resetAtMs: result.reset,
          pending: result.pending,
        };
        // The store does not say how full each window is, so the bound that always holds: a refused request
        // counted nothing, so the current window holds at most `limit`, and 1 ms into the next one the
        // weighted count is below it. (Earlier may pass too; this one surely does.)
        if (!result.success) decision.retryAtMs = result.reset + 1;
        return decision;
      } catch {
        // Redis failed outright: let the request through, and say so.
        return {
          allowed: true,
          reason: 'error',
          limit: rule.limit,
          remaining: rule.limit,
          resetAtMs: Date.now() + rule.windowMs,
        };
      }
    },
  };
}
