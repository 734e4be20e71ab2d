import { BoundedMap } from './bounded-map.js';
import type { RateLimitDecision, RateLimiter, RateLimitRule } from './types.js';

export interface MemoryRateLimiterOptions {
  /** Identifiers tracked at most; the least recently used are forgotten first. @default 100_000 */
  maxIdentifiers?: number;
  /** Clock in epoch ms, injected by tests. @default Date.now */
  now?: () => number;
}

interface Windows {
  window: number;
  current: number;
  previous: number;
}

/**
 * The embedded limiter: the same sliding-window approximation as
 * @upstash/ratelimit's `slidingWindow` (the previous fixed window's count,
 * weighted by how much of it still overlaps the sliding window, plus the
 * current window's count), held in process memory and bounded.
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const state = new BoundedMap<string, Windows>(options.maxIdentifiers ?? 100_000);

  /** The state-key prefix of each rule object (rules from policy.ts are shared frozen objects). */
  const prefixes = new WeakMap<RateLimitRule, string>();

  function checkNow(rule: RateLimitRule, identifier: string): RateLimitDecision {
    const at = now();
    const window = Math.floor(at / rule.windowMs);
    let prefix = prefixes.get(rule);
    if (prefix === undefined) prefixes.set(rule, (prefix = `${rule.name}:${rule.limit}:${rule.windowMs}:`));
    const key = prefix + identifier;
    let entry = state.get(key);
    // An identifier's recency is refreshed when its window rolls (at least once
    // per window while it is in use), not on every request: eviction stays
    // least-recently-used at window granularity for a third of the map work.
    if (!entry || entry.window < window - 1) state.set(key, (entry = { window, current: 0, previous: 0 }));
    else if (entry.window === window - 1) state.set(key, (entry = { window, current: 0, previous: entry.current }));
    const overlap = 1 - (at % rule.windowMs) / rule.windowMs;
    const used = Math.floor(entry.previous * overlap) + entry.current;
    const resetAtMs = (window + 1) * rule.windowMs;
    if (used >= rule.limit) return { allowed: false, reason: 'limit', limit: rule.limit, remaining: 0, resetAtMs };
    entry.current += 1;
    return { allowed: true, reason: 'ok', limit: rule.limit, remaining: Math.max(0, rule.limit - used - 1), resetAtMs };
  }

  return {
    kind: 'memory',
    check: (rule, identifier) => Promise.resolve(checkNow(rule, identifier)),
    checkNow,
  };
}
