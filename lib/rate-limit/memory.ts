import { BoundedMap } from './bounded-map.js';
import type { RateLimitDecision, RateLimiter, RateLimitRule } from './types.js';

export interface MemoryRateLimiterOptions {
  /** Identifiers tracked at most; the least recently used are forgotten first. @default 100_000 */
  maxIdentifiers?: number;
  /** Clock in epoch ms, injected by tests. @default Date.now */
  now?: () => number;
}

/** Rules tracked per identifier at most (a key has a read and a write budget; settings changes add more): the oldest goes first. */
const MAX_RULES_PER_IDENTIFIER = 8;

interface Windows {
  window: number;
  current: number;
  previous: number;
}

/** Requests the sliding window counts at `at`: the previous window's, weighted by how much of it still overlaps, plus the current's. */
function usedAt(at: number, windowMs: number, previous: number, current: number): number {
  return Math.floor(previous * (1 - (at % windowMs) / windowMs)) + current;
}

/**
 * The first millisecond at which a request would pass, for an identifier
 * refused now that makes no request meanwhile (a refused request counts
 * nothing). Within this window the weighted previous count only falls, so it
 * passes once `floor(previous * (W - o) / W) + current < limit`, that is at
 * offset `o = floor(W * (previous + current - limit) / previous) + 1`; when
 * the current window alone is full, in the next window, where the current
 * count becomes the previous one and the same reasoning applies. Integer
 * arithmetic: exact, and the same comparison `checkNow` makes.
 */
function retryAt(entry: Windows, rule: RateLimitRule): number {
  const { windowMs, limit } = rule;
  const start = entry.window * windowMs;
  const firstPassing = (from: number, previous: number, current: number): number | null => {
    if (current >= limit) return null;
    let offset = previous === 0 ? 0 : Math.max(0, Math.floor((windowMs * (previous + current - limit)) / previous) + 1);
    // Guards the closed form against the check's floating point; never more than a step or two.
    while (offset < windowMs && usedAt(from + offset, windowMs, previous, current) >= limit) offset += 1;
    return offset < windowMs ? from + offset : null;
  };
  return firstPassing(start, entry.previous, entry.current) ?? firstPassing(start + windowMs, entry.current, 0) ?? start + 2 * windowMs;
}

/**
 * The embedded limiter: the same sliding-window approximation as
 * @upstash/ratelimit's `slidingWindow` (the previous fixed window's count,
 * weighted by how much of it still overlaps the sliding window, plus the
 * current window's count), held in process memory and bounded.
 */
export function createMemoryRateLimiter(options: MemoryRateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? Date.now;
  // identifier -> (rule -> windows). Keyed by the identifier first so that a
  // caller reusing one string per identifier costs one hashed lookup, with no
  // key string built per request; each identifier has a rule or two.
  const state = new BoundedMap<string, Map<string, Windows>>(options.maxIdentifiers ?? 100_000);
  /** The state key of each rule object (rules from policy.ts are shared frozen objects). */
  const ruleKeys = new WeakMap<RateLimitRule, string>();

  function checkNow(rule: RateLimitRule, identifier: string): RateLimitDecision {
    const at = now();
    const window = Math.floor(at / rule.windowMs);
    let ruleKey = ruleKeys.get(rule);
    if (ruleKey === undefined) ruleKeys.set(rule, (ruleKey = `${rule.name}:${rule.limit}:${rule.windowMs}`));
    let rules = state.get(identifier);
    let entry = rules?.get(ruleKey);
    // An identifier's recency is refreshed when a window rolls (at least once
    // per window while it is in use), not on every request: eviction stays
    // least-recently-used at window granularity for a fraction of the map work.
    if (entry === undefined || entry.window < window) {
      // A new window: the one before it still counts, weighted, if it is the previous one.
      entry = { window, current: 0, previous: entry?.window === window - 1 ? entry.current : 0 };
      if (rules === undefined) rules = new Map();
      else if (!rules.has(ruleKey) && rules.size >= MAX_RULES_PER_IDENTIFIER) rules.delete(rules.keys().next().value!);
      rules.set(ruleKey, entry);
      state.set(identifier, rules);
    }
    const used = usedAt(at, rule.windowMs, entry.previous, entry.current);
    const resetAtMs = (window + 1) * rule.windowMs;
    if (used >= rule.limit) return { allowed: false, reason: 'limit', limit: rule.limit, remaining: 0, resetAtMs, retryAtMs: retryAt(entry, rule) };
    entry.current += 1;
    return { allowed: true, reason: 'ok', limit: rule.limit, remaining: Math.max(0, rule.limit - used - 1), resetAtMs };
  }

  return {
    kind: 'memory',
    check: (rule, identifier) => Promise.resolve(checkNow(rule, identifier)),
    checkNow,
  };
}
