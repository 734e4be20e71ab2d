/**
 * Rate limiting: a sliding window per identifier (an API key id, or a client
 * IP), checked after authentication and before any database work. Two
 * limiters implement one interface and run one contract suite: Redis through
 * @upstash/ratelimit (shared by the whole fleet) and an in-memory limiter (the
 * embedded default, one instance's view).
 */

/** One limit: at most `limit` requests per sliding `windowMs`. */
export interface RateLimitRule {
  /** Which budget this is; part of the storage key and the response body. */
  name: 'read' | 'write' | 'ip';
  limit: number;
  windowMs: number;
}

/**
 * Why a decision came out as it did. `timeout` and `error` mean the store did
 * not answer in time or failed and the request was let through (fail open,
 * counted); `cache_block` means the instance's own cache already knew the
 * identifier was over its limit and did not ask the store.
 */
export type RateLimitReason = 'ok' | 'limit' | 'timeout' | 'error' | 'cache_block';

export interface RateLimitDecision {
  allowed: boolean;
  reason: RateLimitReason;
  limit: number;
  remaining: number;
  /** When the current window ends, epoch ms. */
  resetAtMs: number;
  /**
   * On a refusal: when a request of this identifier will pass again, epoch ms,
   * if it makes none meanwhile. With a sliding window that is not the end of
   * the window: right after it, the previous window still counts almost in
   * full (issue 11: after waiting until the window reset, 4 of 20 reads passed).
   * Absent on allowed requests.
   */
  retryAtMs?: number;
  /** Work the limiter still does after deciding (for example multi-region sync); hand it to `waitUntil`. Absent when there is none. */
  pending?: Promise<unknown>;
}

export interface RateLimiter {
  readonly kind: 'memory' | 'upstash';
  /** Counts one request for `identifier` against `rule` and decides. Never rejects. */
  check(rule: RateLimitRule, identifier: string): Promise<RateLimitDecision>;
  /**
   * The same decision, synchronously, for a limiter whose state lives in this
   * process; absent on limiters that must ask a remote store. The request path
   * uses it to answer a cache hit without a single promise.
   */
  checkNow?(rule: RateLimitRule, identifier: string): RateLimitDecision;
}
