import type { XCacheStatus } from './x-cache.js';

/** What `cachedResponseHeaders` needs to know about a cached answer. */
export interface CachedResponseHeadersInput {
  /** The strong ETag stored with the value. */
  etag: string;
  /** How the cache answered. */
  status: XCacheStatus;
  /** Time since the value was computed, in milliseconds. */
  ageMs: number;
  /** The `Cache-Control` value, from `privateCacheControl` or `publicCacheControl`. */
  cacheControl: string;
}

/**
 * The headers of a response served from the cache: `ETag`, `X-Cache`,
 * `Cache-Control`, and `Age` (RFC 9111 §5.1) so a browser counts `max-age`
 * from when the value was computed, not from when it received a cached copy.
 * Use them on the 304 too (RFC 9110 §15.4.5 wants ETag and Cache-Control there).
 * Written into `into` when given (a response's gathered headers), otherwise into a new object.
 */
export function cachedResponseHeaders(input: CachedResponseHeadersInput, into: Record<string, string> = {}): Record<string, string> {
  into.ETag = input.etag;
  into['X-Cache'] = input.status;
  into['Cache-Control'] = input.cacheControl;
  into.Age = String(Math.max(0, Math.floor(input.ageMs / 1000)));
  return into;
}
