/**
 * The `X-Cache` vocabulary: how a cached read was answered.
 *
 * - `HIT-L1`: from this instance's memory, fresh.
 * - `HIT-L2`: from the shared KV (Redis), fresh.
 * - `MISS`: computed now (no usable copy).
 * - `STALE`: a copy past its TTL but inside its stale window, served at once
 *   while one background refresh runs (RFC 5861 stale-while-revalidate).
 * - `STALE-ERROR`: the compute failed and a copy inside its grace window was
 *   served instead (RFC 5861 stale-if-error).
 * - `COALESCED`: waited for a compute another request started (in this
 *   instance, or on another instance holding the fleet lock).
 * - `BYPASS`: the client asked for a fresh answer (`Cache-Control: no-cache`);
 *   the cache was not read, but the answer was stored.
 */
export const X_CACHE_STATUSES = ['HIT-L1', 'HIT-L2', 'MISS', 'STALE', 'STALE-ERROR', 'COALESCED', 'BYPASS'] as const;

/** One `X-Cache` header value. */
export type XCacheStatus = (typeof X_CACHE_STATUSES)[number];

/** Whether `value` is one of `X_CACHE_STATUSES`. */
export function isXCacheStatus(value: unknown): value is XCacheStatus {
  return typeof value === 'string' && (X_CACHE_STATUSES as readonly string[]).includes(value);
}
